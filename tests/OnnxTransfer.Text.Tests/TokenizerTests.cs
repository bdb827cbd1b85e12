using System.Buffers;
using System.Text;
using System.Text.Json;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Tests.Parity;
using OnnxTransfer.Text.Tokenization;
using OnnxTransfer.Text.WordPiece;

namespace OnnxTransfer.Text.Tests;

/// <summary>Tokenizer behaviour that needs no oracle: loading, offsets, JSON rendering, concurrency, errors.</summary>
[TestFixture]
public sealed class TokenizerTests
{
    private BertTokenizer _tokenizer = null!;

    [OneTimeSetUp]
    public void Load() => _tokenizer = BertTokenizer.FromDirectory(SharedData.BertBaseUncasedTokenizer);

    [Test]
    public void TokenizerJson_AndVocabTxtWithConfig_GiveTheSameTokenizer()
    {
        using var dir = new TempDirectory();
        // Only vocab.txt and the two config files: the path transformers takes for a slow BERT tokenizer.
        foreach (var name in (string[])["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"])
            File.Copy(Path.Combine(SharedData.BertBaseUncasedTokenizer, name), dir.File(name));
        var fromVocab = BertTokenizer.FromDirectory(dir.Path);

        Assert.That(fromVocab.Vocabulary.Count, Is.EqualTo(_tokenizer.Vocabulary.Count));
        Assert.That(fromVocab.Settings.ModelMaxLength, Is.EqualTo(512));
        Assert.That(fromVocab.Settings.Normalizer, Is.EqualTo(_tokenizer.Settings.Normalizer));
        var texts = GeneratedCorpus.Create(2000, seed: 99).Select(g => g.Text).Concat(File.ReadLines(SharedData.Sst2Train).Take(500));
        foreach (var text in texts)
        {
            var a = _tokenizer.Encode(text);
            var b = fromVocab.Encode(text);
            Assert.That(b.Ids.ToArray(), Is.EqualTo(a.Ids.ToArray()), EncodingComparison.Escape(text));
            Assert.That(b.Offsets.ToArray(), Is.EqualTo(a.Offsets.ToArray()));
        }
    }

    [Test]
    public void Offsets_OfAsciiText_SliceTheOriginalToTheToken()
    {
        // Independent of any oracle: for ASCII input lower-casing is the only change, so every word piece is the
        // lower-cased slice its offsets name (minus the ## prefix), and offsets never go backwards.
        var checkedTokens = 0;
        foreach (var line in File.ReadLines(SharedData.Sst2Train).Where(l => Ascii.IsValid(l)))
        {
            var text = line.ToUpperInvariant(); // exercise lower-casing too
            var encoding = _tokenizer.Encode(text, new EncodeOptions { OffsetUnit = OffsetUnit.Utf16 });
            var previousEnd = 0;
            for (var i = 1; i < encoding.Length - 1; i++)
            {
                var (start, end) = (encoding.Offsets[i].Start, encoding.Offsets[i].End);
                Assert.That(start, Is.GreaterThanOrEqualTo(previousEnd));
                previousEnd = end;
                var token = encoding.Tokens[i];
                if (token == "[UNK]") continue;
                Assert.That(text[start..end].ToLowerInvariant(), Is.EqualTo(token.StartsWith("##") ? token[2..] : token), line);
                checkedTokens++;
            }
            Assert.That(encoding.Offsets[0], Is.EqualTo(new TokenOffsets(0, 0)));
        }
        Assert.That(checkedTokens, Is.GreaterThan(100_000));
    }

    [Test]
    public void Offsets_InCodePointsAndUtf16_DifferOnlyAfterAstralCharacters()
    {
        const string text = "😀 café 𝐚b [MASK] naïve";
        var codePoints = _tokenizer.Encode(text);
        var utf16 = _tokenizer.Encode(text, new EncodeOptions { OffsetUnit = OffsetUnit.Utf16 });
        Assert.That(codePoints.Tokens, Is.EqualTo(new[] { "[CLS]", "[UNK]", "cafe", "[UNK]", "[MASK]", "naive", "[SEP]" }));
        Assert.That(codePoints.Offsets.ToArray(), Is.EqualTo(new TokenOffsets[] { new(0, 0), new(0, 1), new(2, 6), new(7, 9), new(10, 16), new(17, 22), new(0, 0) }));
        Assert.That(utf16.Offsets.ToArray(), Is.EqualTo(new TokenOffsets[] { new(0, 0), new(0, 2), new(3, 7), new(8, 11), new(12, 18), new(19, 24), new(0, 0) }));
        Assert.That(text[utf16.Offsets[2].Start..utf16.Offsets[2].End], Is.EqualTo("café"));
    }

    [Test]
    public void Json_HasTheHuggingFaceFields_AndReadsBack()
    {
        var encoding = _tokenizer.Encode("Héllo wörld!", "second");
        var buffer = new ArrayBufferWriter<byte>();
        TokenEncodingJson.WriteLine(buffer, encoding);
        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.That(line, Does.EndWith("\n"));
        Assert.That(line.Count(c => c == '\n'), Is.EqualTo(1));

        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "ids", "type_ids", "attention_mask", "tokens", "offsets" }));
        Assert.That(root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(encoding.Ids.ToArray()));
        Assert.That(root.GetProperty("type_ids").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(encoding.TypeIds.ToArray()));
        Assert.That(root.GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt32()), Is.All.EqualTo(1));
        Assert.That(root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(encoding.Tokens));
        Assert.That(root.GetProperty("offsets").EnumerateArray().Select(o => new TokenOffsets(o[0].GetInt32(), o[1].GetInt32())),
            Is.EqualTo(encoding.Offsets.ToArray()));
        Assert.That(TokenEncodingJson.ToJson(encoding), Does.Contain("\"hello\"").And.Not.Contain("\\u"));
    }

    [Test]
    public void ConcurrentEncodes_OnOneInstance_GiveTheSameResultsAsSequential()
    {
        var texts = GeneratedCorpus.Create(4000, seed: 3).Select(g => g.Text).ToArray();
        var sequential = texts.Select(t => _tokenizer.Encode(t, "pair text")).ToArray();
        var parallel = new TokenEncoding[texts.Length];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = _tokenizer.Encode(texts[i], "pair text"));
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.That(parallel[i].Ids.ToArray(), Is.EqualTo(sequential[i].Ids.ToArray()));
            Assert.That(parallel[i].Offsets.ToArray(), Is.EqualTo(sequential[i].Offsets.ToArray()));
        }
    }

    [Test]
    public void WordsOverTheCharacterLimit_BecomeOneUnknownToken()
    {
        var hundred = new string('a', 100);
        Assert.That(_tokenizer.Encode(hundred).Tokens, Does.Not.Contain("[UNK]"));
        var tooLong = _tokenizer.Encode("x " + hundred + "b y");
        Assert.That(tooLong.Tokens, Is.EqualTo(new[] { "[CLS]", "x", "[UNK]", "y", "[SEP]" }));
        Assert.That(tooLong.Offsets[2], Is.EqualTo(new TokenOffsets(2, 103)));
        // Astral characters count once: 99 + one 𝐚 is 100 code points (but 101 UTF-16 units).
        Assert.That(_tokenizer.Encode(new string('a', 99) + "𝐚").Tokens, Has.Count.EqualTo(3));
    }

    [Test]
    public void PadTo_FillsWithPaddingTokens()
    {
        var padded = _tokenizer.Encode("hello").PadTo(6, _tokenizer.PaddingId, "[PAD]");
        Assert.That(padded.Tokens, Is.EqualTo(new[] { "[CLS]", "hello", "[SEP]", "[PAD]", "[PAD]", "[PAD]" }));
        Assert.That(padded.AttentionMask.ToArray(), Is.EqualTo(new[] { 1, 1, 1, 0, 0, 0 }));
        Assert.That(padded.Ids[3], Is.EqualTo(0));
        Assert.That(padded.TokenCount, Is.EqualTo(3));
    }

    [Test]
    public void Truncation_RulesAndErrors()
    {
        // The documented LongestFirst split, independent of any oracle (tokenizers' own unit-test cases).
        Assert.That(Truncation.KeepLengths(2, 2, 7, TruncationStrategy.LongestFirst), Is.EqualTo((2, 2)));
        Assert.That(Truncation.KeepLengths(2, 10, 7, TruncationStrategy.LongestFirst), Is.EqualTo((2, 5)));
        Assert.That(Truncation.KeepLengths(10, 2, 7, TruncationStrategy.LongestFirst), Is.EqualTo((5, 2)));
        Assert.That(Truncation.KeepLengths(10, 10, 7, TruncationStrategy.LongestFirst), Is.EqualTo((3, 4)));
        Assert.That(Truncation.KeepLengths(10, 9, 7, TruncationStrategy.LongestFirst), Is.EqualTo((4, 3)));
        Assert.That(Truncation.KeepLengths(10, -1, 7, TruncationStrategy.LongestFirst), Is.EqualTo((7, -1)));
        Assert.That(Truncation.KeepLengths(10, 4, 7, TruncationStrategy.OnlyFirst), Is.EqualTo((3, 4)));
        Assert.Throws<TruncationException>(() => Truncation.KeepLengths(2, 10, 7, TruncationStrategy.OnlyFirst));
        Assert.Throws<TruncationException>(() => Truncation.KeepLengths(10, -1, 7, TruncationStrategy.OnlySecond));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Encode("a", "b", new EncodeOptions { MaxLength = 2 }));
        Assert.That(e!.Message, Does.Contain("3 special tokens"));
        var left = _tokenizer.Encode("one two three four", new EncodeOptions { MaxLength = 4, TruncationSide = SequenceSide.Left });
        Assert.That(left.Tokens, Is.EqualTo(new[] { "[CLS]", "three", "four", "[SEP]" }));
        Assert.That(left.TruncatedTokenCount, Is.EqualTo(2));
    }

    [Test]
    public void BadTokenizerFolders_AreRefusedWithTheFix()
    {
        Assert.That(() => BertTokenizer.FromDirectory("/nonexistent/tokenizer"),
            Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("does not exist"));

        using var empty = new TempDirectory();
        Assert.That(() => BertTokenizer.FromDirectory(empty.Path),
            Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("neither tokenizer.json nor vocab.txt"));

        using var broken = new TempDirectory();
        File.WriteAllText(broken.File("tokenizer.json"), "{ not json");
        Assert.That(() => BertTokenizer.FromDirectory(broken.Path),
            Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("not valid JSON"));

        using var bpe = new TempDirectory();
        File.WriteAllText(bpe.File("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        Assert.That(() => BertTokenizer.FromDirectory(bpe.Path),
            Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("only WordPiece"));

        using var noUnk = new TempDirectory();
        File.WriteAllLines(noUnk.File("vocab.txt"), ["[PAD]", "[CLS]", "[SEP]", "[MASK]", "a"]);
        Assert.That(() => BertTokenizer.FromDirectory(noUnk.Path),
            Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("'[UNK]' is not in the vocabulary"));
    }

    [Test]
    public void CustomVocabulary_ContinuationPiecesAndSpecialTokens()
    {
        var vocabulary = new WordPieceVocabulary(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff", "!"]);
        var tokenizer = new BertTokenizer(vocabulary);
        var encoding = tokenizer.Encode("UNAFFABLE! affable [MASK]x");
        Assert.That(encoding.Tokens, Is.EqualTo(new[] { "[CLS]", "un", "##aff", "##able", "!", "aff", "##able", "[MASK]", "[UNK]", "[SEP]" }));
        Assert.That(encoding.Ids.ToArray(), Is.EqualTo(new[] { 2, 5, 6, 7, 9, 8, 7, 4, 1, 3 }));
    }
}
