using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Text;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// Fused text models (encoder + pooling as ONNX operators + L2 + head) against the chained form (the extraction code,
/// then the head) and the trainer's own forward pass on the cached embeddings, for every pooling, on held-out SST-2
/// sentences.
/// </summary>
[NonParallelizable]
public class TextCompositionTests
{
    [TestCase(TextPooling.Mean, true)]
    [TestCase(TextPooling.Mean, false)]
    [TestCase(TextPooling.Cls, true)]
    [TestCase(TextPooling.Max, false)]
    [TestCase(TextPooling.Max, true)]
    [TestCase(TextPooling.PooledOutput, true)]
    public void FusedEqualsChainedEqualsCacheAndHead(TextPooling pooling, bool l2)
    {
        var s = TextSst2.For(pooling, l2);
        using var fused = Predictor.FromFusedModel(s.FusedPath, new PredictorOptions { MaxBatchSize = 16 });
        using var chained = Predictor.FromBackbone(s.Spec, s.HeadModel, new PredictorOptions { MaxBatchSize = 16 });
        Assert.That((fused.IsText, chained.IsText, fused.Kind, chained.Kind), Is.EqualTo((true, true, PredictorKind.Fused, PredictorKind.Chained)));

        var sentences = s.HeldOut;
        var a = fused.PredictTexts(sentences);
        var b = chained.PredictTexts(sentences);
        var pFused = a.SelectMany(p => p.Probabilities!).ToArray();
        var pChained = b.SelectMany(p => p.Probabilities!).ToArray();
        var fusedVsChained = TextSst2.MaxDifference(pFused, pChained);

        // The trainer's forward pass on the cached embeddings of the same sentences (lines 601–800).
        var index = s.Cache.IndexById();
        var d = s.Cache.Dimension;
        var cached = new float[sentences.Length * d];
        for (var i = 0; i < sentences.Length; i++) s.Cache.Row(index[(TextSst2.TrainLines + 1 + i).ToString()]).CopyTo(cached.AsSpan(i * d));
        var fromCache = s.Head.PredictProba(cached);
        var chainedVsCache = TextSst2.MaxDifference(pChained, fromCache);
        TestContext.Out.WriteLine($"{pooling}, L2 {l2}: max |Δp| fused vs chained {fusedVsChained:E2}, chained vs cache+head {chainedVsCache:E2}");
        // Rounding only: the embeddings agree to ~1e-7 (see the features test), but the [CLS] vectors of a random-weight
        // encoder barely vary between sentences, so the head's standardisation magnifies that rounding up to ~4e-5.
        Assert.That(fusedVsChained, Is.LessThan(1e-4));
        Assert.That(chainedVsCache, Is.LessThan(1e-4));
        Assert.That(a.Select(p => p.Label), Is.EqualTo(b.Select(p => p.Label)));
        Assert.That(a.Select(p => p.Input), Is.EqualTo(sentences), "results come back in input order, named by their text");
    }

    [TestCase(TextPooling.Mean, true)]
    [TestCase(TextPooling.Max, true)]
    [TestCase(TextPooling.Cls, true)]
    public void FusedFeaturesOutputEqualsTheBackbonesEmbeddingsOnAPaddedBatch(TextPooling pooling, bool l2)
    {
        var s = TextSst2.For(pooling, l2);
        var sentences = s.HeldOut[..12];
        var tokenizer = BertTokenizer.FromDirectory(TestSupport.SharedData.BertBaseUncasedTokenizer);
        var encodings = sentences.Select(t => tokenizer.Encode(t, new EncodeOptions { MaxLength = 64 })).ToArray();
        var length = encodings.Max(e => e.Length);
        var ids = new long[sentences.Length * length];
        var mask = new long[ids.Length];
        for (var r = 0; r < encodings.Length; r++)
            for (var t = 0; t < encodings[r].Length; t++) { ids[r * length + t] = encodings[r].Ids[t]; mask[r * length + t] = 1; }

        using var session = new InferenceSession(s.FusedPath);
        Assert.That(session.InputNames, Is.EqualTo(new[] { "input_ids", "attention_mask", "token_type_ids" }));
        using var idsValue = OrtTestRuns.Tensor(ids, [sentences.Length, length]);
        using var maskValue = OrtTestRuns.Tensor(mask, [sentences.Length, length]);
        using var typesValue = OrtTestRuns.Tensor(new long[ids.Length], [sentences.Length, length]);
        using var result = session.RunNamed(["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue]);
        var features = result[ModelLayout.FeaturesOutput].GetTensorData<float>().ToArray();
        var expected = new float[features.Length];
        for (var i = 0; i < sentences.Length; i++) s.Backbone.Embed([sentences[i]]).CopyTo(expected, i * s.Backbone.Dimension);
        var difference = TextSst2.MaxDifference(features, expected);
        TestContext.Out.WriteLine($"{pooling}: max |features − backbone embedding alone| {difference:E2} (batch padded to {length})");
        Assert.That(difference, Is.LessThan(2e-6));
    }

    [Test]
    public void FusedModelCarriesItsTokenizerAndDescribesItsInput()
    {
        var s = TextSst2.For();
        var model = OnnxModel.Load(s.FusedPath);
        Assert.That(model.GetMetadata(MetadataKeys.Format), Is.EqualTo(ModelLayout.FusedFormat));
        Assert.That(model.GetMetadata(MetadataKeys.BackboneFingerprintSha256), Is.EqualTo(s.Backbone.Fingerprint.Sha256));
        var tokenizer = BertTokenizerJson.Read(model.GetMetadata(MetadataKeys.Tokenizer)!);
        Assert.That(tokenizer.Encode(s.Sentences[0]).Ids.ToArray(), Is.EqualTo(s.Backbone.Tokenizer.Encode(s.Sentences[0]).Ids.ToArray()));
        var spec = BackboneSpecFile.Parse(System.Text.Encoding.UTF8.GetBytes(model.GetMetadata(MetadataKeys.BackboneSpec)!), "/");
        Assert.That((spec.Kind, spec.InputName, spec.Text!.Tokenizer, spec.Text.MaxLength), Is.EqualTo((BackboneKind.Text, "input_ids", FusedModelComposer.EmbeddedTokenizer, 64)));
        Assert.That(model.Nodes.Count(n => n.Name.StartsWith(FusedModelComposer.NamePrefix, StringComparison.Ordinal)), Is.GreaterThan(4),
            "pooling and L2 are graph nodes");
        Assert.That(model.Outputs.Select(o => o.Name), Is.EquivalentTo(new[] { "probabilities", "label_index", "features" }));
    }

    [Test]
    public void MismatchedHeadsAndImageOptionsAreRefused()
    {
        var mean = TextSst2.For();
        var cls = TextSst2.For(TextPooling.Cls, true);
        var e = Assert.Throws<HeadMismatchException>(() => new FusedModelComposer().Compose(cls.Backbone, mean.HeadModel))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain("tokenizer.pooling"));
        Assert.That(() => Predictor.FromBackbone(cls.Spec, mean.HeadModel), Throws.TypeOf<HeadMismatchException>());
        Assert.That(() => new FusedModelComposer(new ComposeOptions { FoldNormalization = InputScale.Unit }).Compose(mean.Backbone, mean.HeadModel),
            Throws.TypeOf<InferenceException>().With.Message.Contains("no pixel normalisation"));
        Assert.That(() => new FusedModelComposer().Compose(ImageBackbone.Load(mean.Spec), mean.HeadModel),
            Throws.TypeOf<BackboneSpecException>().With.Message.Contains("text backbone"));
    }
}
