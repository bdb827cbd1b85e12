using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Acceptance: for every reference image, the pipeline's input tensor is close to torchvision's (<c>*.input.npy</c>),
/// its embedding agrees with the reference run's feature tensor (<c>*.features.npy</c>, cosine ≥ 0.995), and the full
/// model run on our tensor picks the same ImageNet class as the reference logits.
/// </summary>
public class ReferenceImageTests
{
    private static CachedEmbeddings? _extracted;
    private static readonly Lazy<InferenceSession> FullModel = new(() => new InferenceSession(SharedData.MobileNetV2Int8Model));

    public static IEnumerable<string> Names() => SharedData.ReferenceNames;

    [OneTimeSetUp]
    public void ExtractReferenceFolder()
    {
        using var cacheDirectory = new TempDirectory("features-reference");
        var backbone = TestBackbones.MobileNetV2;
        using (var cache = EmbeddingCache.OpenForWriting(cacheDirectory.Path, ExtractionPipeline.ManifestFor(backbone)))
        {
            var summary = new ExtractionPipeline(backbone, new ExtractionOptions { BatchSize = 4 }).Run(InputSet.Open(SharedData.ReferenceImages), cache);
            Assert.That(summary.Failed, Is.Zero);
        }
        using var read = EmbeddingCache.Open(cacheDirectory.Path);
        _extracted = read.ReadEmbeddings();
    }

    [Test]
    public void EveryReferenceImageIsExtracted()
    {
        Assert.That(SharedData.ReferenceNames, Has.Count.EqualTo(11));
        Assert.That(_extracted!.Ids.Select(Path.GetFileNameWithoutExtension), Is.EquivalentTo(SharedData.ReferenceNames));
        Assert.That(_extracted.Dimension, Is.EqualTo(SharedData.MobileNetV2FeatureDim));
    }

    [TestCaseSource(nameof(Names))]
    public void InputTensorMatchesTorchvision(string name)
    {
        var backbone = TestBackbones.MobileNetV2;
        var expected = NpyFile.Read(SharedData.ReferenceTensor(name, "input")).AsSpan<float>();
        var actual = new float[backbone.ImageLength];
        backbone.Prepare(SharedData.ReferenceImage(name), actual); // the call the pipeline's decode workers make
        double max = 0, sum = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs((double)actual[i] - expected[i]);
            max = Math.Max(max, d);
            sum += d;
        }
        TestContext.Out.WriteLine($"{name}: input max|diff| {max:G3}, mean|diff| {sum / actual.Length:G3}");
        // One 8-bit step after Normalize is 1/255/0.225 ≈ 0.0174; allow two (JPEG IDCT rounding of another libjpeg build).
        Assert.That(max, Is.LessThanOrEqualTo(2.0 / 255 / 0.224));
        Assert.That(sum / actual.Length, Is.LessThan(1e-4));
    }

    [TestCaseSource(nameof(Names))]
    public void EmbeddingMatchesReferenceFeaturesAndClass(string name)
    {
        var rows = _extracted!.IndexById();
        var id = Path.GetFileName(SharedData.ReferenceImage(name));
        var embedding = _extracted.Row(rows[id]);
        var reference = NpyFile.Read(SharedData.ReferenceTensor(name, "features")).AsSpan<float>();
        var cosine = TestBackbones.Cosine(embedding, reference);

        // Top-1 through the model's logits: the full (uncut) model on the pipeline's own input tensor.
        var input = new float[TestBackbones.MobileNetV2.ImageLength];
        TestBackbones.MobileNetV2.Prepare(SharedData.ReferenceImage(name), input);
        var session = FullModel.Value;
        using var value = OrtTestRuns.Tensor(input, [1, 3, 224, 224]);
        using var result = session.RunNamed("input", value);
        var ours = ArgMax(result["output"].GetTensorData<float>());
        var theirs = ArgMax(NpyFile.Read(SharedData.ReferenceTensor(name, "logits")).AsSpan<float>());
        var maxDiff = 0f;
        for (var i = 0; i < embedding.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(embedding[i] - reference[i]));
        TestContext.Out.WriteLine($"{name}: cosine {cosine:G9}, max|embedding - features| {maxDiff:G3}, top-1 {ours} (reference {theirs})");

        Assert.That(cosine, Is.GreaterThanOrEqualTo(0.995));
        Assert.That(ours, Is.EqualTo(theirs));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
