using System.Numerics.Tensors;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.TestSupport;
using OnnxTransfer.TestSupport.Models;
using OnnxTransfer.Text;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// A text backbone on the test BERT: embeddings equal an independent computation (the managed reference forward pass on
/// the shared tokenizer's ids, pooled and normalised by hand), for every pooling; every spec problem is refused up
/// front with the fix.
/// </summary>
public class TextBackboneTests
{
    private static readonly string[] Sentences =
    [
        "a gripping , funny movie .",
        "Héllo, WORLD! the film's ending is unbelievably bad",
        "ok",
        "an overlong , self-indulgent and ultimately tiresome exercise in style over substance that never finds its footing",
    ];

    [TestCase(TextPooling.Mean, true)]
    [TestCase(TextPooling.Mean, false)]
    [TestCase(TextPooling.Cls, true)]
    [TestCase(TextPooling.Max, false)]
    [TestCase(TextPooling.PooledOutput, true)]
    public void EmbeddingsEqualTheReferenceForwardPassPooledByHand(TextPooling pooling, bool l2)
    {
        using var backbone = TextBackbone.Load(TextTestModels.Spec(pooling, l2));
        var embeddings = backbone.Embed(Sentences);

        Assert.That(backbone.Dimension, Is.EqualTo(TestBertConfig.Tiny.HiddenSize));
        var worst = MaxDifference(embeddings, Expected(TestBertConfig.Tiny, pooling, l2, Sentences));
        TestContext.Out.WriteLine($"{pooling}, L2 {l2}: max |embedding − reference| {worst:E2}");
        Assert.That(worst, Is.LessThan(2e-5));
        if (l2) Assert.That(TensorPrimitives.Norm(embeddings.AsSpan(0, backbone.Dimension)), Is.EqualTo(1f).Within(1e-5));
    }

    /// <summary>The reference forward pass on the shared tokenizer's ids of each sentence alone (no padding), pooled by hand.</summary>
    internal static double[] Expected(TestBertConfig config, TextPooling pooling, bool l2, IReadOnlyList<string> sentences)
    {
        var weights = TestBertWeights.Create(config);
        var tokenizer = BertTokenizer.FromDirectory(SharedData.BertBaseUncasedTokenizer);
        var h = config.HiddenSize;
        var result = new double[sentences.Count * h];
        for (var s = 0; s < sentences.Count; s++)
        {
            var ids = tokenizer.Encode(sentences[s]).Ids.ToArray().Select(i => (long)i).ToArray();
            var (hidden, pooled) = TestBertReference.Forward(weights, ids, Enumerable.Repeat(1L, ids.Length).ToArray(), new long[ids.Length], 1, ids.Length);
            var expected = result.AsSpan(s * h, h);
            for (var j = 0; j < h; j++)
            {
                expected[j] = pooling switch
                {
                    TextPooling.Mean => Enumerable.Range(0, ids.Length).Average(t => hidden[t * h + j]),
                    TextPooling.Cls => hidden[j],
                    TextPooling.Max => Enumerable.Range(0, ids.Length).Max(t => hidden[t * h + j]),
                    _ => pooled[j],
                };
            }
            if (!l2) continue;
            var norm = 0.0;
            foreach (var v in expected) norm += v * v;
            norm = Math.Sqrt(norm);
            for (var j = 0; j < h; j++) expected[j] /= norm;
        }
        return result;
    }

    internal static double MaxDifference(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        var worst = 0.0;
        for (var i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        return worst;
    }

    [Test]
    public void LoadReadsTheModelAndTokenizerAndFingerprintsBoth()
    {
        var backbone = TextTestModels.Tiny;
        Assert.That(backbone.FeatureTensor, Is.EqualTo(TestBertModel.LastHiddenState), "auto picks last_hidden_state");
        Assert.That(backbone.Inputs, Is.EqualTo(new TextEncoderInputs("input_ids", "attention_mask", "token_type_ids", Onnx.OnnxDataType.Int64, null, null)));
        Assert.That(backbone.MaxLength, Is.EqualTo(128));
        Assert.That(backbone.VocabularySha256, Is.EqualTo(FileHash.Sha256(Path.Combine(SharedData.BertBaseUncasedTokenizer, "vocab.txt"))),
            "the vocabulary hash is vocab.txt's own sha256");
        var fingerprint = backbone.Fingerprint.Json;
        TestContext.Out.WriteLine(fingerprint);
        Assert.That(fingerprint, Does.Contain("\"kind\":\"text\"").And.Contain("\"pooling\":\"mean\"").And.Contain("\"l2_normalize\":true")
            .And.Contain("\"max_length\":128").And.Contain("\"tensor\":\"last_hidden_state\"").And.Contain($"\"dim\":{TestBertConfig.Tiny.HiddenSize}"));

        using var cls = TextBackbone.Load(TextTestModels.Spec(TextPooling.Cls));
        using var longer = TextBackbone.Load(TextTestModels.Spec(maxLength: 256));
        Assert.That(cls.Fingerprint.Differences(backbone.Fingerprint).Select(d => d.Field), Is.EqualTo(new[] { "tokenizer.pooling" }));
        Assert.That(longer.Fingerprint.Differences(backbone.Fingerprint).Select(d => d.Field), Is.EqualTo(new[] { "tokenizer.max_length" }));
        using var explicitTensor = TextBackbone.Load(TextTestModels.Spec(tensor: TestBertModel.LastHiddenState));
        Assert.That(explicitTensor.Fingerprint, Is.EqualTo(backbone.Fingerprint), "\"auto\" and the explicit name share caches");
    }

    [Test]
    public void Int32ModelsWithoutTokenTypesAndPoolerAreFedWhatTheyDeclare()
    {
        var config = TestBertConfig.Tiny with { Int32Inputs = true, TokenTypeInput = false, PoolerOutput = false };
        using var backbone = TextBackbone.Load(TextTestModels.Spec(config: config));
        Assert.That(backbone.Inputs, Is.EqualTo(new TextEncoderInputs("input_ids", "attention_mask", null, Onnx.OnnxDataType.Int32, null, null)));
        var worst = MaxDifference(backbone.Embed(Sentences), Expected(config, TextPooling.Mean, true, Sentences));
        Assert.That(worst, Is.LessThan(2e-5));
    }

    [Test]
    public void OverLongTextsAreTruncatedAndFlaggedOrRefused()
    {
        var text = string.Join(' ', Enumerable.Repeat("wonderful", 40));
        using var truncating = TextBackbone.Load(TextTestModels.Spec(maxLength: 16));
        var row = truncating.Encode(text);
        Assert.That(row.Encoding!.Length, Is.EqualTo(16));
        Assert.That(row.Encoding.TruncatedTokenCount, Is.EqualTo(40 + 2 - 16));
        using var refusing = TextBackbone.Load(TextTestModels.Spec(maxLength: 16), overLength: Text.Encoder.OverLengthPolicy.Refuse);
        var refused = refusing.Encode(text);
        Assert.That(refused.ErrorCode, Is.EqualTo("too-many-tokens"));
        Assert.That(refused.Error, Does.Contain("42 tokens").And.Contain("maximum of 16"));
    }

    [Test]
    public void SpecProblemsAreRefusedNamingTheFix()
    {
        string Refusal(BackboneSpec spec)
        {
            var e = Assert.Throws<BackboneSpecException>(() => TextBackbone.Load(spec).Dispose());
            TestContext.Out.WriteLine(e!.Message);
            return e.Message;
        }

        Assert.That(Refusal(TextTestModels.Spec(lowerCase: false)), Does.Contain("text.lower_case is false").And.Contain("lower-cases"));
        Assert.That(Refusal(TextTestModels.Spec(maxLength: 1024)), Does.Contain("at most 512"));
        Assert.That(Refusal(TextTestModels.Spec() with { ModelSha256 = new string('0', 64) }), Does.Contain("sha256").And.Contain("different file"));
        Assert.That(Refusal(TextTestModels.Spec() with { Features = new FeatureSpec(FeatureSpec.Auto, FeaturePooling.GlobalAverage, true) }),
            Does.Contain("features.pooling").And.Contain("\"none\""));
        Assert.That(Refusal(TextTestModels.Spec(tensor: TestBertModel.PooledOutput)), Does.Contain("pooled-output").And.Contain("[batch, sequence, hidden]"));
        Assert.That(Refusal(TextTestModels.Spec(TextPooling.PooledOutput) with
        {
            Text = TextTestModels.Spec(TextPooling.PooledOutput).Text! with { PooledOutput = TestBertModel.LastHiddenState },
        }), Does.Contain("a pooled output is [batch, hidden]"));
        Assert.That(Refusal(TextTestModels.Spec() with { InputName = "tokens" }), Does.Contain("no input 'tokens'").And.Contain("input_ids"));
        Assert.That(Refusal(TextTestModels.Spec() with { Text = TextTestModels.Spec().Text! with { Tokenizer = "/nonexistent/tokenizer" } }),
            Does.Contain("text.tokenizer").And.Contain("does not exist"));
        Assert.That(Refusal(TextTestModels.Spec(tensor: "no_such_tensor")), Does.Contain("no_such_tensor"));
        var config = TestBertConfig.Tiny with { PoolerOutput = false };
        Assert.That(Refusal(TextTestModels.Spec(TextPooling.PooledOutput, config: config)), Does.Contain(TestBertModel.PooledOutput));

        Assert.That(() => ImageBackbone.Load(TextTestModels.Spec()), Throws.TypeOf<BackboneSpecException>().With.Message.Contains("text backbone"));
        Assert.That(() => TextBackbone.Load(TestBackbones.MobileNetV2Spec()), Throws.TypeOf<BackboneSpecException>().With.Message.Contains("needs a text backbone"));
    }

    [Test]
    public void UnpinnedModelIsNotedWithItsHash()
    {
        using var backbone = TextBackbone.Load(TextTestModels.Spec(pin: false));
        Assert.That(backbone.Notes.Single(), Does.Contain(FileHash.Sha256(TextTestModels.ModelPath())));
    }
}
