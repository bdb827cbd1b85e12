using System.Text;

namespace OnnxTransfer.Text.Tests.Parity;

/// <summary>One generated string, and whether it uses a character on which the JavaScript port is known to differ.</summary>
/// <param name="UsesJsDivergentCharacters">
/// True when the text holds a character of <see cref="GeneratedCorpus.JsDivergentPool"/>: there the pure-JS port answers
/// with newer Unicode tables (or its final-sigma / surrogate bugs) than the Rust library, so only the Rust oracle judges.
/// </param>
public sealed record GeneratedText(string Text, bool UsesJsDivergentCharacters);

/// <summary>
/// A deterministic mix of scripts, marks, emoji, invisible and control characters, whitespace runs, punctuation, special
/// tokens and over-long words: the inputs where a BERT tokenizer port goes wrong.
/// </summary>
public static class GeneratedCorpus
{
    /// <summary>
    /// Characters whose treatment depends on the Unicode version or on a known defect of the JS port
    /// (@huggingface/tokenizers 0.2.0), with the Rust library's answer in brackets:
    /// Σ (JS lower-cases a final sigma to ς; Rust maps every Σ to σ), CJK Extension B (JS does not space out
    /// supplementary ideographs; Rust does), marks/format/punctuation assigned or re-categorised after Unicode 8.0
    /// (Rust's tables are 8.0, JS's are current), and a decomposition added after Unicode 9.0.
    /// </summary>
    public static readonly int[] JsDivergentPool =
    [
        0x03A3, // GREEK CAPITAL LETTER SIGMA (final sigma)
        0x20000, 0x20001, 0x2A6D6, 0x2B740, 0x2F800, // CJK Extension B/C/D ideographs and compatibility supplement
        0x0897, 0x08D4, 0x08E1, 0x0D00, 0x1ABF, 0x1DF9, // Mn added after 8.0 (Rust keeps them)
        0x0890, 0x08E2, // Cf added after 8.0 (Rust keeps them)
        0x1734, // Mn in 8.0, Mc now (Rust strips it)
        0x1885, 0xA9BD, 0x111C9, // Mn now, not in 8.0 (Rust keeps them)
        0x166D, // Po in 8.0, So now (Rust splits on it)
        0x2E43, 0x2E4F, 0x2E52, // punctuation added after 8.0 (Rust does not split)
        0x11938, // DIVES AKURU VOWEL SIGN O: decomposes since Unicode 13 (Rust's NFD is 9.0)
    ];

    private static readonly string[] Words =
    [
        "the", "movie", "is", "great", "not", "bad", "unbelievably", "transformers", "tokenization", "embedding",
        "Hello", "WORLD", "McDonald's", "don't", "U.S.A.", "e-mail", "3.14159", "2024-01-01", "C++", "#hashtag",
        "@user", "https://example.com/a?b=c&d=e", "naïve", "café", "Ångström", "jalapeño", "Straße", "œuvre", "Łódź",
        "Ελληνικά", "αβγδε", "Ωμέγα", "Привет", "мир", "Ёлка", "日本語", "中文字符", "漢字", "ひらがな", "カタカナ", "한국어",
        "안녕하세요", "العربية", "مرحبا", "עברית", "हिन्दी", "ภาษาไทย", "Tiếng Việt", "ﬁnance", "Ⅻ", "①②", "½", "x²",
        "unaffable", "##ing", "[unused1]", "[mask]", "[MAS", "CLS]", "ab[MASK]cd", "[CLS][SEP]", "[[PAD]]",
    ];

    private static readonly string[] SpecialTokens = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"];

    private static readonly int[] Whitespace =
    [
        ' ', ' ', ' ', '\t', '\n', '\r', 0x00A0, 0x1680, 0x2000, 0x2003, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F,
        0x205F, 0x3000, 0x000B, 0x000C, 0x0085,
    ];

    private static readonly int[] Invisible = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0x061C, 0x2066, 0x202E];

    private static readonly int[] Punctuation =
    [
        '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '?', '@',
        '[', '\\', ']', '^', '_', '`', '{', '|', '}', '~', 0x00A1, 0x00A7, 0x00AB, 0x00B6, 0x00B7, 0x00BB, 0x00BF,
        0x2010, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2020, 0x2022, 0x2026, 0x2030, 0x2039, 0x203A,
        0x203D, 0x2047, 0x3001, 0x3002, 0x300C, 0x300D, 0x3010, 0x3011, 0xFF01, 0xFF0C, 0xFF1F, 0x060C, 0x061B,
        0x061F, 0x066A, 0x05BE, 0x0964, 0x0E2F, 0x2E2E, 0x2E3A, 0x00A2, 0x20AC, 0x00A3, 0x00B1, 0x00D7, 0x00F7,
        0x00A8, 0x00B4, 0x02C6, 0x2190, 0x2200, 0x221E, 0x25A0, 0x2605, 0x266A,
    ];

    private static readonly (int From, int To)[] Letters =
    [
        ('a', 'z'), ('A', 'Z'), ('0', '9'), (0x00C0, 0x00FF), (0x0100, 0x017F), (0x0180, 0x024F), (0x1E00, 0x1EFF),
        (0x0391, 0x03A1), (0x03A4, 0x03A9), (0x03AC, 0x03CE), (0x1F00, 0x1F15), (0x0400, 0x045F), (0x0531, 0x0556),
        (0x05D0, 0x05EA), (0x0621, 0x064A), (0x0660, 0x0669), (0x0905, 0x0939), (0x0E01, 0x0E2E), (0x10A0, 0x10C5),
        (0x3041, 0x3096), (0x30A1, 0x30FA), (0xAC00, 0xD7A3), (0x4E00, 0x9FFF), (0x3400, 0x4DB5), (0xF900, 0xFA2D),
        (0xFB01, 0xFB06), (0x2160, 0x217F), (0x2460, 0x249B), (0xFF21, 0xFF3A), (0x1D400, 0x1D433), (0x10400, 0x1044F),
    ];

    private static readonly (int From, int To)[] Marks =
    [
        (0x0300, 0x036F), (0x0483, 0x0487), (0x0591, 0x05BD), (0x064B, 0x065F), (0x0670, 0x0670), (0x093C, 0x094D),
        (0x0E31, 0x0E31), (0x0E34, 0x0E3A), (0x1AB0, 0x1ABD), (0x1DC0, 0x1DF5), (0x20D0, 0x20F0), (0x302A, 0x302F),
        (0x3099, 0x309A), (0xFE20, 0xFE2D), (0x0903, 0x0903), (0x093E, 0x0940),
    ];

    private static readonly string[] Emoji =
    [
        "😀", "😂", "🤔", "🥰", "🫠", "👍", "👍🏽", "👋🏿", "❤️", "❤", "✨", "🔥", "🇫🇷", "🇯🇵", "1️⃣", "#️⃣", "👨‍👩‍👧‍👦",
        "🏳️‍🌈", "👩🏽‍💻", "🧑‍🚀", "🐈‍⬛", "©", "™", "🀄", "🃏", "𝄞", "🦄", "🪐",
    ];

    /// <summary><paramref name="count"/> strings from seed <paramref name="seed"/>; the same arguments give the same strings.</summary>
    public static List<GeneratedText> Create(int count, int seed)
    {
        var random = new Random(seed);
        var result = new List<GeneratedText>(count);
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            text.Clear();
            var divergent = false;
            var chunks = random.Next(100) switch
            {
                < 5 => 0, // empty and near-empty strings
                < 60 => random.Next(1, 8),
                < 95 => random.Next(8, 30),
                _ => random.Next(30, 120),
            };
            for (var c = 0; c < chunks; c++) divergent |= AppendChunk(text, random);
            result.Add(new GeneratedText(text.ToString(), divergent));
        }
        return result;
    }

    /// <summary>Appends one random piece; returns true when it used <see cref="JsDivergentPool"/>.</summary>
    private static bool AppendChunk(StringBuilder text, Random random)
    {
        switch (random.Next(100))
        {
            case < 25:
                text.Append(Words[random.Next(Words.Length)]);
                break;
            case < 40:
                AppendRandomWord(text, random, random.Next(1, 12));
                break;
            case < 52:
                AppendCodePoint(text, Whitespace[random.Next(Whitespace.Length)]);
                if (random.Next(3) == 0) AppendCodePoint(text, Whitespace[random.Next(Whitespace.Length)]);
                break;
            case < 62:
                AppendCodePoint(text, Punctuation[random.Next(Punctuation.Length)]);
                break;
            case < 68:
                text.Append(Emoji[random.Next(Emoji.Length)]);
                break;
            case < 74:
                // Letters with stacked combining marks, in random (often non-canonical) order.
                AppendRandomWord(text, random, random.Next(1, 4));
                for (var m = random.Next(1, 4); m > 0; m--) AppendCodePoint(text, Pick(Marks, random));
                break;
            case < 78:
                AppendCodePoint(text, Invisible[random.Next(Invisible.Length)]);
                break;
            case < 81:
                // Control characters, NUL and the replacement character.
                AppendCodePoint(text, random.Next(4) switch { 0 => 0, 1 => 0xFFFD, 2 => random.Next(1, 0x20), _ => random.Next(0x7F, 0xA0) });
                break;
            case < 85:
                text.Append(SpecialTokens[random.Next(SpecialTokens.Length)]);
                break;
            case < 88:
                // Words around the 100-code-point limit, some with astral characters that count once.
                {
                    var length = random.Next(4) switch { 0 => 100, 1 => 101, 2 => random.Next(90, 110), _ => random.Next(101, 300) };
                    for (var k = 0; k < length; k++)
                        AppendCodePoint(text, random.Next(10) == 0 ? 0x1D41A + random.Next(26) : 'a' + random.Next(26));
                }
                break;
            case < 92:
                // Runs of repeated characters and digits.
                text.Append((char)('a' + random.Next(26)), random.Next(2, 40));
                text.Append(random.Next(100000));
                break;
            case < 95:
                AppendCodePoint(text, random.Next(0xE000, 0xF900)); // private use: removed as "control"
                break;
            case < 99:
                text.Append(Words[random.Next(Words.Length)]).Append(' ');
                break;
            default:
                if (random.Next(4) != 0)
                {
                    AppendRandomWord(text, random, random.Next(1, 6));
                    break;
                }
                // A character on which the JS port and the Rust library disagree, inside a word.
                AppendRandomWord(text, random, random.Next(0, 3));
                AppendCodePoint(text, JsDivergentPool[random.Next(JsDivergentPool.Length)]);
                if (random.Next(2) == 0) AppendRandomWord(text, random, random.Next(1, 3));
                return true;
        }
        return false;
    }

    private static void AppendRandomWord(StringBuilder text, Random random, int length)
    {
        var range = Letters[random.Next(Letters.Length)];
        for (var k = 0; k < length; k++)
        {
            // Mostly one script per word, sometimes mixed.
            if (random.Next(8) == 0) range = Letters[random.Next(Letters.Length)];
            AppendCodePoint(text, random.Next(range.From, range.To + 1));
        }
    }

    private static int Pick((int From, int To)[] ranges, Random random)
    {
        var range = ranges[random.Next(ranges.Length)];
        return random.Next(range.From, range.To + 1);
    }

    private static void AppendCodePoint(StringBuilder text, int codePoint) => text.Append(char.ConvertFromUtf32(codePoint));
}
