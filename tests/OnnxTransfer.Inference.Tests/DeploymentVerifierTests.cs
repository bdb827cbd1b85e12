using Google.Protobuf;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Verification;
using OnnxTransfer.Onnx;
using OnnxTransfer.Onnx.Protobuf;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// <see cref="DeploymentVerifier"/> on the shared MobileNetV2 and hymenoptera: a deployment that reproduces its CPU cache
/// passes; caches made with other preprocessing or with perturbed weights (made here) fail with figures that say so;
/// unreadable inputs are reported; a fused model agrees with its head on the cache.
/// </summary>
[NonParallelizable]
public class DeploymentVerifierTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    private TempDirectory _folder = null!;
    private string _images = null!;
    private string _otherPreprocessing = null!;
    private string _otherWeights = null!;

    [OneTimeSetUp]
    public void MakeCaches()
    {
        _folder = new TempDirectory("inference-verify");
        _images = _folder.File("images");
        SharedData.LinkHymenopteraPhotos(_images, 3, "train/ants", "train/bees", "val/ants", "val/bees");

        // Another normalisation than the model was trained with (a common slip: mean/std 0.5 instead of ImageNet's).
        var spec = Hymenoptera.Spec();
        var halfMean = spec with { Image = spec.Image! with { Preprocess = spec.Image.Preprocess with { Mean = new ChannelValues(0.5f, 0.5f, 0.5f), Std = new ChannelValues(0.5f, 0.5f, 0.5f) } } };
        _otherPreprocessing = _folder.File("cache-other-preprocessing");
        using (var backbone = ImageBackbone.Load(halfMean)) Extract(backbone, _otherPreprocessing);

        // The same model file with one initializer perturbed: the scales of the first convolution's int8 weights.
        var perturbed = _folder.File("perturbed.onnx");
        PerturbFirstWeightScale(SharedData.MobileNetV2Int8Model, perturbed, factor: 1.5f);
        _otherWeights = _folder.File("cache-other-weights");
        using (var backbone = ImageBackbone.Load(spec with { ModelPath = perturbed, ModelSha256 = null })) Extract(backbone, _otherWeights);
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    [Test]
    public void PassesOnCpuAgainstACacheMadeOnCpu()
    {
        using var cache = EmbeddingCache.Open(Path.Combine(H.Folder, "cache"));
        var report = DeploymentVerifier.Verify(cache, H.Backbone, H.HeadModel, new VerificationOptions { SampleSize = 24 });
        TestContext.Out.WriteLine($"{report.Embeddings} {report.Head}");
        Assert.That(report.Passed, Is.True, string.Join("; ", report.FailedChecks));
        Assert.That((report.Sampled, report.Compared, report.CacheRows), Is.EqualTo((24, 24, 398)));
        Assert.That(report.Embeddings!.MinCosine, Is.GreaterThan(0.99999));
        Assert.That(report.Embeddings.MaxAbsDifference, Is.LessThan(1e-3));
        Assert.That(report.Head!.Top1Agreement, Is.EqualTo(1.0));
        Assert.That(report.Notes, Is.Empty, "same fingerprint and numerics: nothing to note");
        Assert.That(report.RunNumerics!.Precision, Is.EqualTo("int8-cpu-kernels"));
        // Stratified: every split and label of the cache is in the sample, in proportion (train 124+121, val 70+83 of 398).
        var perGroup = report.Inputs.GroupBy(i => (i.Split, i.Label)).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(perGroup.Keys, Is.EquivalentTo(new[] { ("train", "ants"), ("train", "bees"), ("val", "ants"), ("val", "bees") }));
        Assert.That(perGroup.Values.Sum(), Is.EqualTo(24));
        Assert.That(perGroup[("train", "ants")], Is.InRange(6, 9));
        Assert.That(perGroup[("val", "ants")], Is.InRange(3, 6));
        // Deterministic: the same seed picks the same inputs, another seed others.
        var again = DeploymentVerifier.Verify(cache, H.Backbone, null, new VerificationOptions { SampleSize = 24 });
        var otherSeed = DeploymentVerifier.Verify(cache, H.Backbone, null, new VerificationOptions { SampleSize = 24, Seed = 7 });
        Assert.That(again.Inputs.Select(i => i.Id), Is.EqualTo(report.Inputs.Select(i => i.Id)));
        Assert.That(otherSeed.Inputs.Select(i => i.Id), Is.Not.EquivalentTo(report.Inputs.Select(i => i.Id)));
        Assert.That(again.Head, Is.Null, "no head, no head figures");
    }

    [Test]
    public void FailsWithTheFiguresWhenTheCacheWasMadeWithOtherPreprocessing()
    {
        using var cache = EmbeddingCache.Open(_otherPreprocessing);
        var report = DeploymentVerifier.Verify(cache, H.Backbone, H.HeadModel, new VerificationOptions());
        TestContext.Out.WriteLine($"{report.Embeddings} {report.Head}");
        Assert.That(report.Passed, Is.False);
        Assert.That(report.Compared, Is.EqualTo(12));
        Assert.That(report.Embeddings!.MinCosine, Is.LessThan(0.99).And.GreaterThan(0.0), "related but clearly different embeddings");
        Assert.That(report.Embeddings.MedianCosine, Is.GreaterThanOrEqualTo(report.Embeddings.MinCosine).And.LessThan(0.999));
        Assert.That(report.Embeddings.MaxAbsDifference, Is.GreaterThan(0.1));
        Assert.That(report.Head!.MaxProbabilityDifference, Is.GreaterThan(0.0));
        Assert.That(report.FailedChecks, Has.Some.StartsWith("min cosine"));
        Assert.That(report.Notes, Has.Some.Contains("fingerprints differ").And.Contains("mean"));
    }

    [Test]
    public void FailsWithTheFiguresWhenTheCacheWasMadeWithOtherWeights()
    {
        using var cache = EmbeddingCache.Open(_otherWeights);
        var report = DeploymentVerifier.Verify(cache, H.Backbone, null, new VerificationOptions { MinCosine = 0.9999 });
        TestContext.Out.WriteLine($"{report.Embeddings}");
        Assert.That(report.Passed, Is.False);
        Assert.That(report.Embeddings!.MinCosine, Is.LessThan(0.9999).And.GreaterThan(0.0));
        Assert.That(report.Embeddings.MaxAbsDifference, Is.GreaterThan(0.0));
        Assert.That(report.Notes, Has.Some.Contains("model_sha256"));
    }

    [Test]
    public void InputsThatAreGoneOrUnreadableAreReportedNotFatal()
    {
        using var folder = new TempDirectory("inference-verify-broken");
        var images = folder.File("images");
        Directory.CreateDirectory(Path.Combine(images, "ants"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(SharedData.Hymenoptera, "val", "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(4))
            File.Copy(file, Path.Combine(images, "ants", Path.GetFileName(file)));
        var cacheFolder = folder.File("cache");
        Extract(H.Backbone, cacheFolder, images);
        var files = Directory.GetFiles(Path.Combine(images, "ants")).Order(StringComparer.Ordinal).ToArray();
        File.Delete(files[0]);
        File.WriteAllBytes(files[1], [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);

        using var cache = EmbeddingCache.Open(cacheFolder);
        var report = DeploymentVerifier.Verify(cache, H.Backbone, H.HeadModel, new VerificationOptions());
        Assert.That((report.Sampled, report.Compared), Is.EqualTo((4, 2)));
        Assert.That(report.Failures.Select(f => f.Source), Is.EquivalentTo(files[..2]));
        Assert.That(report.Failures.Select(f => f.Reason), Has.All.Not.Empty);
        Assert.That(report.Passed, Is.True, "the inputs that could be read reproduce the cache");
    }

    [Test]
    public void AFusedModelAgreesWithItsHeadOnTheCache()
    {
        using var cache = EmbeddingCache.Open(Path.Combine(H.Folder, "cache"));
        using var predictor = Predictor.FromFusedModel(H.FusedPath);
        var report = DeploymentVerifier.Verify(cache, predictor, H.HeadModel, new VerificationOptions { SampleSize = 16 });
        Assert.That(report.Passed, Is.True, string.Join("; ", report.FailedChecks));
        Assert.That(report.Embeddings, Is.Null, "a fused model gives probabilities, not embeddings");
        Assert.That(report.Head!.Top1Agreement, Is.EqualTo(1.0));
        Assert.That(report.Head.MaxProbabilityDifference, Is.LessThan(1e-4));
        Assert.That(report.Compared, Is.EqualTo(16));
    }

    [Test]
    public void TheSampleIsStratifiedAndKeepsRareGroups()
    {
        var rows = new List<CachedRow>();
        for (var i = 0; i < 100; i++) rows.Add(new CachedRow($"a{i}", $"/a{i}", "common", "train"));
        for (var i = 0; i < 10; i++) rows.Add(new CachedRow($"b{i}", $"/b{i}", "uncommon", "train"));
        rows.Add(new CachedRow("c0", "/c0", "rare", "train"));
        var sample = StratifiedSample.Pick(rows, 12, seed: 0);
        Assert.That(sample, Has.Count.EqualTo(12));
        Assert.That(sample.Select(r => r.Id), Is.Unique);
        Assert.That(sample.Count(r => r.Label == "rare"), Is.EqualTo(1));
        Assert.That(sample.Count(r => r.Label == "uncommon"), Is.InRange(1, 2));
        Assert.That(sample.Count(r => r.Label == "common"), Is.InRange(9, 10));
        Assert.That(StratifiedSample.Pick(rows, 12, seed: 0), Is.EqualTo(sample));
        Assert.That(StratifiedSample.Pick(rows, 500, seed: 0), Has.Count.EqualTo(rows.Count));
        Assert.That(StratifiedSample.Pick(rows, 2, seed: 3), Has.Count.EqualTo(2));
    }

    private void Extract(ImageBackbone backbone, string cacheFolder, string? images = null)
    {
        using var cache = EmbeddingCache.OpenForWriting(cacheFolder, ExtractionPipeline.ManifestFor(backbone));
        var summary = new ExtractionPipeline(backbone, new ExtractionOptions { BatchSize = 8 }).Run(InputSet.Open(images ?? _images), cache);
        Assert.That(summary.Failed, Is.Zero);
    }

    /// <summary>
    /// Multiplies the scale of the first DequantizeLinear over a rank-4 int8 initializer (the stem convolution's weights)
    /// by <paramref name="factor"/> and saves the model under a new name.
    /// </summary>
    private static void PerturbFirstWeightScale(string source, string destination, float factor)
    {
        var model = OnnxModel.Load(source);
        var graph = model.Proto.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var node = graph.Node.First(n => n.OpType == "DequantizeLinear" && initializers.TryGetValue(n.Input[0], out var w) && w.Dims.Count == 4);
        var scale = initializers[node.Input[1]];
        Assert.That(scale.DataType, Is.EqualTo((int)TensorProto.Types.DataType.Float));
        if (scale.RawData.Length > 0)
        {
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(scale.RawData.ToByteArray()).ToArray();
            for (var i = 0; i < values.Length; i++) values[i] *= factor;
            scale.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        else
        {
            for (var i = 0; i < scale.FloatData.Count; i++) scale.FloatData[i] *= factor;
        }
        model.Save(destination);
    }
}
