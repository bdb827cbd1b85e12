using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Text.Tests;

/// <summary>A tokenizer written to JSON and read back (what a fused text model carries) tokenises exactly as the original.</summary>
[TestFixture]
public sealed class TokenizerJsonTests
{
    [Test]
    public void RoundTripGivesTheSameEncodingsOnSst2AndAwkwardText()
    {
        var original = BertTokenizer.FromDirectory(SharedData.BertBaseUncasedTokenizer);
        var json = BertTokenizerJson.Write(original);
        var copy = BertTokenizerJson.Read(json);

        Assert.That(copy.Settings with { AdditionalSpecialTokens = [] }, Is.EqualTo(original.Settings with { AdditionalSpecialTokens = [] }));
        Assert.That(copy.Settings.AdditionalSpecialTokens, Is.EqualTo(original.Settings.AdditionalSpecialTokens));
        Assert.That(copy.SpecialTokens, Is.EqualTo(original.SpecialTokens));
        Assert.That(copy.Vocabulary.Count, Is.EqualTo(original.Vocabulary.Count));
        Assert.That(BertTokenizerJson.Write(copy), Is.EqualTo(json), "writing the copy gives the same text");

        var texts = File.ReadLines(SharedData.Sst2Train).Select(l => l[2..])
            .Concat(["Héllo [MASK] wörld 中文 🤷🏽‍♀️ " + new string('x', 120), "", "[CLS][SEP]"]);
        var options = new EncodeOptions { MaxLength = 32 };
        foreach (var text in texts)
        {
            var a = original.Encode(text, "a second text", options);
            var b = copy.Encode(text, "a second text", options);
            Assert.That(b.Ids.ToArray(), Is.EqualTo(a.Ids.ToArray()), text);
            Assert.That(b.TypeIds.ToArray(), Is.EqualTo(a.TypeIds.ToArray()), text);
            Assert.That(b.Tokens, Is.EqualTo(a.Tokens), text);
            Assert.That(b.Offsets.ToArray(), Is.EqualTo(a.Offsets.ToArray()), text);
        }
    }

    [Test]
    public void NotATokenizerIsRefused()
    {
        Assert.That(() => BertTokenizerJson.Read("{\"format\":\"other\"}"), Throws.TypeOf<TokenizerConfigurationException>());
        Assert.That(() => BertTokenizerJson.Read("not json"), Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("malformed"));
        Assert.That(() => BertTokenizerJson.Read("{\"format\":\"onnxtransfer.tokenizer\",\"version\":9}"),
            Throws.TypeOf<TokenizerConfigurationException>().With.Message.Contains("newer"));
    }
}
