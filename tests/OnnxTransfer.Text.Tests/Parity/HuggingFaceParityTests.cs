using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Tokenization;

namespace OnnxTransfer.Text.Tests.Parity;

/// <summary>
/// Our tokenizer against Hugging Face's: every SST-2 sentence, 20,000 generated strings and text pairs truncated at
/// 8…512 tokens, all sent to one Node process. The pure-JS port (@huggingface/tokenizers) answers ids, type ids and
/// tokens; the Rust library (npm <c>tokenizers</c>, when installed) answers those plus attention masks, offsets and
/// truncation — and is the one whose answer counts where the two disagree (see <see cref="GeneratedCorpus.JsDivergentPool"/>).
/// </summary>
[TestFixture]
public sealed class HuggingFaceParityTests
{
    private const int GeneratedCount = 20_000;
    private const int PairCount = 2_000;
    private static readonly int[] MaxLengths = [8, 16, 32, 128, 512];

    private BertTokenizer _tokenizer = null!;
    private readonly List<(OracleRequest Request, bool JsDivergent, string Group)> _cases = [];
    private List<OracleAnswer> _answers = null!;
    private string? _rustVersion;

    [OneTimeSetUp]
    public void EncodeEverythingWithTheOracles()
    {
        _tokenizer = BertTokenizer.FromDirectory(SharedData.BertBaseUncasedTokenizer);

        foreach (var line in File.ReadLines(SharedData.Sst2Train))
            _cases.Add((new OracleRequest(line[(line.IndexOf(' ') + 1)..]), false, "sst2"));

        foreach (var generated in GeneratedCorpus.Create(GeneratedCount, seed: 20240607))
            _cases.Add((new OracleRequest(generated.Text), generated.UsesJsDivergentCharacters, "generated"));

        var first = GeneratedCorpus.Create(PairCount, seed: 7);
        var second = GeneratedCorpus.Create(PairCount, seed: 8);
        for (var i = 0; i < PairCount; i++)
        {
            // The JS port treats an empty pair as no pair at all (`text_pair || null`); Rust encodes [CLS] A [SEP] [SEP].
            var divergent = first[i].UsesJsDivergentCharacters || second[i].UsesJsDivergentCharacters || second[i].Text.Length == 0;
            _cases.Add((new OracleRequest(first[i].Text, second[i].Text), divergent, "pair"));
            foreach (var max in MaxLengths)
                _cases.Add((new OracleRequest(first[i].Text, second[i].Text, max), divergent, "truncated"));
            if (i % 10 == 0)
            {
                _cases.Add((new OracleRequest(first[i].Text, second[i].Text, 16, Side: SequenceSide.Left), divergent, "truncated"));
                _cases.Add((new OracleRequest(first[i].Text, second[i].Text, 128, Side: SequenceSide.Left), divergent, "truncated"));
            }
            if (i % 5 == 0)
            {
                _cases.Add((new OracleRequest(first[i].Text, second[i].Text, 32, TruncationStrategy.OnlyFirst), divergent, "truncated"));
                _cases.Add((new OracleRequest(first[i].Text, second[i].Text, 32, TruncationStrategy.OnlySecond), divergent, "truncated"));
            }
        }

        (_rustVersion, _answers) = TokenizerOracle.Encode([.. _cases.Select(c => c.Request)]);
    }

    [Test]
    public void Sst2_EverySentence_MatchesTheJsPort() => CompareWithJs("sst2", expectAtLeast: 6920);

    [Test]
    public void Sst2_EverySentence_MatchesTheRustLibraryWithOffsets() => CompareWithRust("sst2", expectAtLeast: 6920);

    [Test]
    public void GeneratedCorpus_MatchesTheJsPort_WhereItFollowsTheRustLibrary() =>
        CompareWithJs("generated", expectAtLeast: GeneratedCount * 8 / 10);

    [Test]
    public void GeneratedCorpus_MatchesTheRustLibraryWithOffsets() => CompareWithRust("generated", expectAtLeast: GeneratedCount);

    [Test]
    public void Pairs_MatchTheJsPort() => CompareWithJs("pair", expectAtLeast: PairCount * 6 / 10);

    /// <summary>tokenizers 0.23's early exit reproduced exactly (the installed Rust oracle is 0.23.2).</summary>
    [Test]
    public void Pairs_TruncatedAt8To512_MatchTheRustLibrary() =>
        CompareWithRust("truncated", expectAtLeast: PairCount * MaxLengths.Length, TruncationCompatibility.Tokenizers023);

    /// <summary>
    /// The default (tokenizers ≤ 0.22) truncation agrees with the 0.23 oracle wherever 0.23's early exit cannot matter:
    /// when the shorter text has fewer tokens than MaxLength.
    /// </summary>
    [Test]
    public void Pairs_TruncatedAt8To512_ClassicRule_MatchesTheRustLibraryWhereReleasesAgree()
    {
        var full = new EncodeOptions { AddSpecialTokens = false };
        CompareWithRust("truncated", expectAtLeast: PairCount * 2, TruncationCompatibility.Tokenizers022, request =>
            Math.Min(_tokenizer.Encode(request.Text, full).Length, _tokenizer.Encode(request.Pair!, full).Length) < request.MaxLength);
    }

    /// <summary>Evidence for the lead: where the two releases' rules differ, the 0.23.2 oracle follows the early exit.</summary>
    [Test]
    public void Pairs_WhereBothTextsAreLongerThanMaxLength_Tokenizers023DiffersFromTheClassicRule()
    {
        RequireRust();
        int differing = 0, rustFollows023 = 0;
        string? example = null;
        for (var i = 0; i < _cases.Count; i++)
        {
            var (request, _, group) = _cases[i];
            if (group != "truncated" || request.Strategy != TruncationStrategy.LongestFirst) continue;
            var classic = EncodeOurs(request, TruncationCompatibility.Tokenizers022).Encoding!;
            var early = EncodeOurs(request, TruncationCompatibility.Tokenizers023).Encoding!;
            if (classic.Tokens.SequenceEqual(early.Tokens)) continue;
            differing++;
            if (early.Tokens.SequenceEqual(_answers[i].Rust!.Tokens)) rustFollows023++;
            example ??= $"max_length {request.MaxLength}: classic [{string.Join(" ", classic.Tokens.Select(EncodingComparison.Escape))}] vs 0.23 [{string.Join(" ", early.Tokens.Select(EncodingComparison.Escape))}]";
        }
        TestContext.Out.WriteLine($"{differing} truncated pairs differ between the two rules; the Rust oracle follows 0.23 in {rustFollows023}. E.g. {example}");
        Assert.That(rustFollows023, Is.EqualTo(differing));
    }

    /// <summary>
    /// Evidence for the lead: on the JS-divergent strings the two oracles really disagree, and we side with Rust.
    /// Prints how often and a few examples.
    /// </summary>
    [Test]
    public void JsDivergentStrings_TheJsPortDiffersFromTheRustLibrary_AndWeFollowRust()
    {
        RequireRust();
        var disagreements = new List<(string Text, string Line)>();
        var divergentCount = 0;
        for (var i = 0; i < _cases.Count; i++)
        {
            var (request, divergent, group) = _cases[i];
            if (!divergent || group != "generated") continue;
            divergentCount++;
            var js = _answers[i].Js!;
            var rust = _answers[i].Rust!;
            if (js.Tokens.SequenceEqual(rust.Tokens)) continue;
            disagreements.Add((request.Text, $"\"{EncodingComparison.Escape(request.Text)}\": js [{string.Join(" ", js.Tokens.Select(EncodingComparison.Escape))}] rust [{string.Join(" ", rust.Tokens.Select(EncodingComparison.Escape))}]"));
        }
        TestContext.Out.WriteLine($"{disagreements.Count} of {divergentCount} JS-divergent strings tokenize differently in the JS port and the Rust library; the shortest:");
        foreach (var (_, line) in disagreements.OrderBy(d => d.Text.Length).Take(6)) TestContext.Out.WriteLine("  " + line);
        Assert.That(disagreements, Is.Not.Empty, "the JS-divergent pool no longer shows any difference: re-check GeneratedCorpus.JsDivergentPool");
    }

    private void CompareWithJs(string group, int expectAtLeast)
    {
        var comparison = new EncodingComparison("@huggingface/tokenizers (JS port)");
        for (var i = 0; i < _cases.Count; i++)
        {
            var (request, divergent, caseGroup) = _cases[i];
            if (caseGroup != group || divergent || _answers[i].Js is not { } expected) continue;
            var (mine, error) = EncodeOurs(request);
            comparison.Compare(request, mine, error, expected);
        }
        TestContext.Out.WriteLine($"{comparison.Compared} {group} encodings compared with the JS port.");
        Assert.That(comparison.Compared, Is.GreaterThanOrEqualTo(expectAtLeast));
        comparison.AssertNone();
    }

    private void CompareWithRust(string group, int expectAtLeast,
        TruncationCompatibility compatibility = TruncationCompatibility.Tokenizers022, Func<OracleRequest, bool>? where = null)
    {
        RequireRust();
        var comparison = new EncodingComparison($"tokenizers {_rustVersion} (Rust)");
        for (var i = 0; i < _cases.Count; i++)
        {
            var (request, _, caseGroup) = _cases[i];
            if (caseGroup != group || (where is not null && !where(request))) continue;
            var (mine, error) = EncodeOurs(request, compatibility);
            comparison.Compare(request, mine, error, _answers[i].Rust!);
        }
        TestContext.Out.WriteLine($"{comparison.Compared} {group} encodings compared with the Rust library, offsets included.");
        Assert.That(comparison.Compared, Is.GreaterThanOrEqualTo(expectAtLeast));
        comparison.AssertNone();
    }

    private (TokenEncoding? Encoding, string? Error) EncodeOurs(OracleRequest request,
        TruncationCompatibility compatibility = TruncationCompatibility.Tokenizers022)
    {
        var options = new EncodeOptions
        {
            MaxLength = request.MaxLength, TruncationStrategy = request.Strategy, TruncationSide = request.Side,
            TruncationCompatibility = compatibility,
        };
        try
        {
            return (_tokenizer.Encode(request.Text, request.Pair, options), null);
        }
        catch (TruncationException e)
        {
            return (null, e.Message);
        }
    }

    private void RequireRust()
    {
        if (_rustVersion is null)
            Assert.Fail("The Rust Hugging Face tokenizer (npm 'tokenizers' 0.23.2) is not installed in tools/node: "
                + "offsets, truncation and the JS-divergent strings are checked only against it. tools/setup.sh --oracles "
                + "installs it (tools/test.sh runs that).");
    }
}
