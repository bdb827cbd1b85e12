using System.Text;
using OnnxTransfer.Text.Unicode;

namespace OnnxTransfer.Text.Normalization;

/// <summary>
/// BERT normalisation with alignments, step for step as the Hugging Face Rust <c>BertNormalizer</c>: clean text, space
/// out CJK ideographs, NFD + drop non-spacing marks, lower-case. Every output code unit remembers which original
/// character it came from, with the same rules as the Rust <c>NormalizedString</c>, so token offsets come out the same.
/// </summary>
internal sealed class BertNormalizer(BertNormalizerOptions options)
{
    private readonly bool _clean = options.CleanText;
    private readonly bool _chinese = options.HandleChineseChars;
    private readonly bool _strip = options.StripsAccents;
    private readonly bool _lower = options.Lowercase;

    /// <summary>Per-thread scratch space of one normalisation.</summary>
    internal sealed class Scratch
    {
        public readonly CodePointBuffer Cleaned = new();
        public int[] DecomposedCodePoints = new int[256];
        public byte[] DecomposedClasses = new byte[256];
        public bool[] DecomposedIsFirst = new bool[256];
        public int DecomposedCount;

        public void AddDecomposed(int codePoint, byte combiningClass, bool isFirst)
        {
            if (DecomposedCount == DecomposedCodePoints.Length)
            {
                var size = DecomposedCount * 2;
                Array.Resize(ref DecomposedCodePoints, size);
                Array.Resize(ref DecomposedClasses, size);
                Array.Resize(ref DecomposedIsFirst, size);
            }
            DecomposedCodePoints[DecomposedCount] = codePoint;
            DecomposedClasses[DecomposedCount] = combiningClass;
            DecomposedIsFirst[DecomposedCount] = isFirst;
            DecomposedCount++;
        }
    }

    /// <summary>
    /// Normalises <paramref name="text"/>[<paramref name="start"/>..<paramref name="end"/>) into <paramref name="output"/>
    /// (cleared first); alignments are indices into <paramref name="text"/>, in UTF-16 code units.
    /// </summary>
    public void Normalize(ReadOnlySpan<char> text, int start, int end, NormalizedText output, Scratch scratch)
    {
        output.Clear();
        var segment = text[start..end];
        if (Ascii.IsValid(segment))
        {
            NormalizeAscii(segment, start, output);
            return;
        }

        var cleaned = scratch.Cleaned;
        cleaned.Clear();
        CleanAndSpaceOutChinese(segment, start, cleaned);
        if (_strip) DecomposeStripAndLowercase(cleaned, start, output, scratch);
        else CopyAndLowercase(cleaned, output);
    }

    /// <summary>ASCII has no CJK, no decompositions and no marks: one pass with identity alignments.</summary>
    private void NormalizeAscii(ReadOnlySpan<char> segment, int offset, NormalizedText output)
    {
        output.EnsureCapacity(segment.Length);
        var chars = output.Chars;
        var starts = output.Starts;
        var ends = output.Ends;
        var length = 0;
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (_clean)
            {
                if (c < 0x20)
                {
                    if (c is not ('\t' or '\n' or '\r')) continue;
                    c = ' ';
                }
                else if (c == 0x7F) continue;
            }
            if (_lower && c is >= 'A' and <= 'Z') c = (char)(c | 0x20);
            chars[length] = c;
            starts[length] = offset + i;
            ends[length] = offset + i + 1;
            length++;
        }
        output.Length = length;
    }

    private void CleanAndSpaceOutChinese(ReadOnlySpan<char> segment, int offset, CodePointBuffer cleaned)
    {
        for (var i = 0; i < segment.Length;)
        {
            int cp = segment[i];
            var width = 1;
            if (char.IsHighSurrogate((char)cp) && i + 1 < segment.Length && char.IsLowSurrogate(segment[i + 1]))
            {
                cp = char.ConvertToUtf32((char)cp, segment[i + 1]);
                width = 2;
            }
            else if (char.IsSurrogate((char)cp))
            {
                // A lone surrogate cannot reach the Rust library (it only takes valid UTF-8): bindings replace it by U+FFFD.
                cp = 0xFFFD;
            }
            var from = offset + i;
            var to = from + width;
            i += width;

            if (_clean)
            {
                if (cp == 0 || cp == 0xFFFD) continue;
                if (cp is not ('\t' or '\n' or '\r') && BertCharacters.IsControl(cp)) continue;
                if (BertCharacters.IsWhitespace(cp)) cp = ' ';
            }
            if (_chinese && BertCharacters.IsChinese(cp))
            {
                // The spaces only separate words; the pre-tokenizer drops them, so their alignment never shows.
                cleaned.Add(' ', from, to);
                cleaned.Add(cp, from, to);
                cleaned.Add(' ', from, to);
            }
            else
            {
                cleaned.Add(cp, from, to);
            }
        }
    }

    private void CopyAndLowercase(CodePointBuffer cleaned, NormalizedText output)
    {
        Span<int> lowered = stackalloc int[2];
        for (var k = 0; k < cleaned.Count; k++)
        {
            var cp = cleaned.CodePoints[k];
            if (!_lower)
            {
                output.Append(cp, cleaned.Starts[k], cleaned.Ends[k]);
                continue;
            }
            // A mapping to two code points (U+0130) inserts the second one with the alignment of the character before
            // the read position, which is this same character.
            var n = BertCharacters.ToLower(cp, lowered);
            for (var j = 0; j < n; j++) output.Append(lowered[j], cleaned.Starts[k], cleaned.Ends[k]);
        }
    }

    /// <summary>
    /// NFD with canonical reordering, then removal of non-spacing marks, then lower-casing. Alignments follow the Rust
    /// <c>unicode-normalization-alignments</c> + <c>NormalizedString::transform</c> contract: the first code point of
    /// each decomposition "replaces" the next original character (taking its span), later ones are "inserted" (taking
    /// the span of the last replaced character), and reordering moves code points but not the spans they pick up.
    /// </summary>
    private void DecomposeStripAndLowercase(CodePointBuffer cleaned, int segmentStart, NormalizedText output, Scratch scratch)
    {
        scratch.DecomposedCount = 0;
        var readyEnd = 0;
        Span<int> parts = stackalloc int[8];
        for (var k = 0; k < cleaned.Count; k++)
        {
            var cp = cleaned.CodePoints[k];
            if (BertCharacters.IsNfdInert(cp))
            {
                SortPending(scratch, readyEnd);
                readyEnd = scratch.DecomposedCount;
                scratch.AddDecomposed(cp, 0, isFirst: true);
                continue;
            }
            var n = BertCharacters.Decompose(cp, parts);
            for (var j = 0; j < n; j++)
            {
                var ccc = BertCharacters.CombiningClass(parts[j]);
                if (ccc == 0)
                {
                    SortPending(scratch, readyEnd);
                    readyEnd = scratch.DecomposedCount;
                }
                scratch.AddDecomposed(parts[j], ccc, isFirst: j == 0);
            }
        }
        SortPending(scratch, readyEnd);

        var read = 0;
        for (var k = 0; k < scratch.DecomposedCount; k++)
        {
            int from, to;
            if (scratch.DecomposedIsFirst[k])
            {
                from = cleaned.Starts[read];
                to = cleaned.Ends[read];
                read++;
            }
            else if (read > 0)
            {
                from = cleaned.Starts[read - 1];
                to = cleaned.Ends[read - 1];
            }
            else
            {
                from = to = segmentStart;
            }

            var cp = scratch.DecomposedCodePoints[k];
            if (BertCharacters.IsNonspacingMark(cp)) continue;
            if (_lower) cp = BertCharacters.ToLowerSingle(cp); // U+0130 was decomposed above, so one code point each
            output.Append(cp, from, to);
        }
    }

    /// <summary>Stable sort by combining class of the code points not yet ready (a run of non-starters is tiny).</summary>
    private static void SortPending(Scratch scratch, int from)
    {
        var cps = scratch.DecomposedCodePoints;
        var classes = scratch.DecomposedClasses;
        var firsts = scratch.DecomposedIsFirst;
        for (var i = from + 1; i < scratch.DecomposedCount; i++)
        {
            var cp = cps[i];
            var ccc = classes[i];
            var first = firsts[i];
            var j = i - 1;
            while (j >= from && classes[j] > ccc)
            {
                cps[j + 1] = cps[j];
                classes[j + 1] = classes[j];
                firsts[j + 1] = firsts[j];
                j--;
            }
            cps[j + 1] = cp;
            classes[j + 1] = ccc;
            firsts[j + 1] = first;
        }
    }
}
