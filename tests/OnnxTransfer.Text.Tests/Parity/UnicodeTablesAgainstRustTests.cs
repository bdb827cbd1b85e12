using System.Text;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Normalization;
using OnnxTransfer.Text.Unicode;

namespace OnnxTransfer.Text.Tests.Parity;

/// <summary>
/// All 1,112,063 Unicode scalar values through each step of the Rust BERT normaliser (clean text, CJK spacing, NFD +
/// accent stripping, lower-casing) and the pre-tokenizer's whitespace/punctuation test, compared with ours: proves the
/// generated Unicode 8.0/9.0/17.0 tables character by character.
/// </summary>
[TestFixture]
public sealed class UnicodeTablesAgainstRustTests
{
    [Test]
    public void EveryCodePoint_NormalizesAndSplitsAsTheRustLibrary()
    {
        var scan = NodeOracle.Run("tokenizers-unicode-scan.mjs", [], timeout: TimeSpan.FromMinutes(5));
        if (scan.StartsWith("unavailable", StringComparison.Ordinal))
            Assert.Fail("The Rust Hugging Face tokenizer (npm 'tokenizers' 0.23.2) is not installed in tools/node; this exhaustive "
                + "check needs it: tools/setup.sh --oracles installs it (tools/test.sh runs that).");

        var steps = new[]
        {
            ("clean_text", new BertNormalizer(new BertNormalizerOptions(true, false, false, false))),
            ("handle_chinese_chars", new BertNormalizer(new BertNormalizerOptions(false, true, false, false))),
            ("strip_accents", new BertNormalizer(new BertNormalizerOptions(false, false, true, false))),
            ("lowercase", new BertNormalizer(new BertNormalizerOptions(false, false, false, true))),
        };
        var output = new NormalizedText();
        var scratch = new BertNormalizer.Scratch();
        var mismatches = new List<string>();
        var checkedCount = 0;
        var got = new StringBuilder();

        foreach (var line in scan.AsSpan().EnumerateLines())
        {
            if (line.IsEmpty) continue;
            var fields = line.ToString().Split(';');
            var cp = Convert.ToInt32(fields[0], 16);
            var text = char.ConvertFromUtf32(cp);
            for (var s = 0; s < steps.Length; s++)
            {
                steps[s].Item2.Normalize(text, 0, text.Length, output, scratch);
                got.Clear();
                foreach (var rune in output.Span.EnumerateRunes())
                {
                    if (got.Length > 0) got.Append(' ');
                    got.Append(rune.Value.ToString("x"));
                }
                if (got.ToString() != fields[1 + s] && mismatches.Count < 20)
                    mismatches.Add($"U+{cp:X4} {steps[s].Item1}: Rust [{fields[1 + s]}] ours [{got}]");
            }
            var pieces = BertCharacters.IsWhitespace(cp) ? 2 : BertCharacters.IsPunctuation(cp) ? 3 : 1;
            if (pieces.ToString() != fields[5] && mismatches.Count < 20)
                mismatches.Add($"U+{cp:X4} pre-tokenizer: Rust cuts \"a_a\" into {fields[5]} pieces, ours into {pieces}");
            checkedCount++;
        }

        Assert.That(checkedCount, Is.EqualTo(0x110000 - 0x800 - 1), "every scalar value but '|' is scanned");
        Assert.That(mismatches, Is.Empty, string.Join("\n", mismatches));
    }
}
