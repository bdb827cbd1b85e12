namespace OnnxTransfer.Text.Unicode;

/// <summary>
/// The character classes of BERT normalisation and pre-tokenisation, answered with the Unicode versions the Hugging Face
/// Rust library uses (see <see cref="BertUnicodeData"/>), never with the runtime's own tables: .NET, ICU and Rust ship
/// different Unicode versions, and a model was trained with whatever the Rust library said.
/// </summary>
/// <remarks>
/// The Basic Multilingual Plane is answered from flat tables built once (64 KiB of flags, 128 KiB of lower-case
/// mappings); supplementary planes by binary search in the generated ranges. All members are thread-safe.
/// </remarks>
internal static class BertCharacters
{
    [Flags]
    private enum Flags : byte
    {
        Control = 1,
        NonspacingMark = 2,
        Punctuation = 4,
        Whitespace = 8,
        Chinese = 16,
        Decomposes = 32,
        Combining = 64,
    }

    private const int HangulBase = 0xAC00, HangulCount = 11172, JamoLBase = 0x1100, JamoVBase = 0x1161, JamoTBase = 0x11A7;
    private const int JamoTCount = 28, JamoNCount = 588;

    private static readonly Flags[] BmpFlags = BuildBmpFlags();
    private static readonly char[] BmpLowercase = BuildBmpLowercase();

    /// <summary>True for Unicode 8.0 Cc, Cf and Co: removed by clean_text (the caller exempts \t, \n and \r).</summary>
    public static bool IsControl(int cp) =>
        cp < 0x10000 ? (BmpFlags[cp] & Flags.Control) != 0 : InRanges(BertUnicodeData.ControlRanges, cp);

    /// <summary>Rust's <c>char::is_whitespace</c> (White_Space), which BERT also uses for \t, \n, \r.</summary>
    public static bool IsWhitespace(int cp) => cp < 0x10000 && (BmpFlags[cp] & Flags.Whitespace) != 0;

    /// <summary>ASCII punctuation or Unicode 8.0 P*: isolated as a word of its own by the pre-tokenizer.</summary>
    public static bool IsPunctuation(int cp) =>
        cp < 0x10000 ? (BmpFlags[cp] & Flags.Punctuation) != 0 : InRanges(BertUnicodeData.PunctuationRanges, cp);

    /// <summary>Unicode 8.0 Mn: removed after NFD when accents are stripped.</summary>
    public static bool IsNonspacingMark(int cp) =>
        cp < 0x10000 ? (BmpFlags[cp] & Flags.NonspacingMark) != 0 : InRanges(BertUnicodeData.NonspacingMarkRanges, cp);

    /// <summary>The CJK blocks BERT surrounds with spaces (Hangul, Hiragana and Katakana are not among them).</summary>
    public static bool IsChinese(int cp) =>
        cp < 0x10000
            ? (BmpFlags[cp] & Flags.Chinese) != 0
            : cp is (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F)
                or (>= 0x2B920 and <= 0x2CEAF) or (>= 0x2F800 and <= 0x2FA1F);

    /// <summary>True when the code point has no decomposition and combining class 0: NFD leaves it alone.</summary>
    public static bool IsNfdInert(int cp) =>
        cp < 0x10000 ? (BmpFlags[cp] & (Flags.Decomposes | Flags.Combining)) == 0 : !HasSupplementaryNfdData(cp);

    /// <summary>Unicode 9.0 canonical combining class.</summary>
    public static byte CombiningClass(int cp)
    {
        if (cp < 0x10000 && (BmpFlags[cp] & Flags.Combining) == 0) return 0;
        var runs = BertUnicodeData.CombiningClassRuns;
        int lo = 0, hi = runs.Length / 3 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cp < runs[mid * 3]) hi = mid - 1;
            else if (cp > runs[mid * 3 + 1]) lo = mid + 1;
            else return (byte)runs[mid * 3 + 2];
        }
        return 0;
    }

    /// <summary>
    /// Writes the full Unicode 9.0 canonical decomposition of <paramref name="cp"/> (itself when it has none) into
    /// <paramref name="destination"/> (at least 4 long) and returns how many code points it wrote.
    /// </summary>
    public static int Decompose(int cp, Span<int> destination)
    {
        var index = (uint)(cp - HangulBase);
        if (index < HangulCount)
        {
            destination[0] = JamoLBase + (int)(index / JamoNCount);
            destination[1] = JamoVBase + (int)(index % JamoNCount / JamoTCount);
            var t = (int)(index % JamoTCount);
            if (t == 0) return 2;
            destination[2] = JamoTBase + t;
            return 3;
        }
        if (cp < 0x10000 && (BmpFlags[cp] & Flags.Decomposes) == 0)
        {
            destination[0] = cp;
            return 1;
        }
        var keys = BertUnicodeData.DecompositionKeys;
        var at = keys.BinarySearch(cp);
        if (at < 0)
        {
            destination[0] = cp;
            return 1;
        }
        var starts = BertUnicodeData.DecompositionStarts;
        var data = BertUnicodeData.DecompositionData.Slice(starts[at], starts[at + 1] - starts[at]);
        data.CopyTo(destination);
        return data.Length;
    }

    /// <summary>
    /// Rust's <c>char::to_lowercase</c>: writes one code point, or two for U+0130 (i + combining dot above), and returns
    /// how many.
    /// </summary>
    public static int ToLower(int cp, Span<int> destination)
    {
        if (cp < 0x10000)
        {
            if (cp == 0x130)
            {
                destination[0] = 'i';
                destination[1] = 0x307;
                return 2;
            }
            destination[0] = BmpLowercase[cp];
            return 1;
        }
        destination[0] = LowercaseSupplementary(cp);
        return 1;
    }

    /// <summary>Lower-case of a code point whose mapping is one code point (everything but U+0130).</summary>
    public static int ToLowerSingle(int cp) => cp < 0x10000 ? BmpLowercase[cp] : LowercaseSupplementary(cp);

    private static int LowercaseSupplementary(int cp)
    {
        var pairs = BertUnicodeData.LowercasePairs;
        int lo = 0, hi = pairs.Length / 2 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var key = pairs[mid * 2];
            if (key == cp) return pairs[mid * 2 + 1];
            if (key < cp) lo = mid + 1;
            else hi = mid - 1;
        }
        return cp;
    }

    private static bool HasSupplementaryNfdData(int cp) =>
        BertUnicodeData.DecompositionKeys.BinarySearch(cp) >= 0 || CombiningClass(cp) != 0;

    /// <summary>Binary search in inclusive [start, end] pairs.</summary>
    private static bool InRanges(ReadOnlySpan<int> pairs, int cp)
    {
        int lo = 0, hi = pairs.Length / 2 - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cp < pairs[mid * 2]) hi = mid - 1;
            else if (cp > pairs[mid * 2 + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    private static Flags[] BuildBmpFlags()
    {
        var flags = new Flags[0x10000];
        Mark(flags, BertUnicodeData.ControlRanges, Flags.Control);
        Mark(flags, BertUnicodeData.NonspacingMarkRanges, Flags.NonspacingMark);
        Mark(flags, BertUnicodeData.PunctuationRanges, Flags.Punctuation);
        // Rust's char::is_ascii_punctuation: BERT treats $, +, <, =, >, ^, `, | and ~ (symbols, not P*) as punctuation too.
        Mark(flags, [0x21, 0x2F, 0x3A, 0x40, 0x5B, 0x60, 0x7B, 0x7E], Flags.Punctuation);
        Mark(flags, [0x09, 0x0D, 0x20, 0x20, 0x85, 0x85, 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A,
            0x2028, 0x2029, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000], Flags.Whitespace);
        Mark(flags, [0x4E00, 0x9FFF, 0x3400, 0x4DBF, 0xF900, 0xFAFF], Flags.Chinese);
        foreach (var key in BertUnicodeData.DecompositionKeys)
            if (key < 0x10000) flags[key] |= Flags.Decomposes;
        var runs = BertUnicodeData.CombiningClassRuns;
        for (var i = 0; i < runs.Length; i += 3)
            for (var cp = runs[i]; cp <= runs[i + 1] && cp < 0x10000; cp++) flags[cp] |= Flags.Combining;
        for (var cp = HangulBase; cp < HangulBase + HangulCount; cp++) flags[cp] |= Flags.Decomposes;
        // Surrogate code units never reach these tables as code points; lone ones are handled by the caller.
        return flags;
    }

    private static void Mark(Flags[] flags, ReadOnlySpan<int> pairs, Flags flag)
    {
        for (var i = 0; i < pairs.Length; i += 2)
            for (var cp = pairs[i]; cp <= pairs[i + 1] && cp < 0x10000; cp++) flags[cp] |= flag;
    }

    private static char[] BuildBmpLowercase()
    {
        var table = new char[0x10000];
        for (var cp = 0; cp < table.Length; cp++) table[cp] = (char)cp;
        var pairs = BertUnicodeData.LowercasePairs;
        for (var i = 0; i < pairs.Length; i += 2)
            if (pairs[i] < 0x10000)
            {
                // The generator checks that no mapping crosses between the BMP and the supplementary planes.
                table[pairs[i]] = (char)pairs[i + 1];
            }
        return table;
    }
}
