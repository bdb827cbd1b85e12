using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>The binding reproduces the reference logits ORT 1.30 computed for every shared reference image.</summary>
public class ReferenceLogitsTests
{
    private const float Tolerance = 1e-3f;
    private InferenceSession _session = null!;

    [OneTimeSetUp]
    public void LoadModel() => _session = new InferenceSession(SharedData.MobileNetV2Int8Model);

    [OneTimeTearDown]
    public void DisposeModel() => _session.Dispose();

    [Test]
    public void EveryReferenceInputGivesItsReferenceLogits()
    {
        Assert.That(Reference.Images, Has.Count.GreaterThanOrEqualTo(11));
        foreach (var image in Reference.Images)
        {
            using var input = OrtValue.CreateTensor(image.Input, [1, 3, 224, 224]);
            using var result = _session.Run("input", input);
            var logits = result["output"];
            Assert.That(logits.Shape.ToArray(), Is.EqualTo(new long[] { 1, Reference.Classes }));
            var diff = Reference.MaxAbsDiff(logits.GetTensorData<float>(), image.Logits);
            TestContext.Out.WriteLine($"{image.Name,-28} max |diff| = {diff:E2}");
            Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), image.Name);
        }
    }

    [TestCase(1)]
    [TestCase(8)]
    [TestCase(32)]
    public void BatchesGiveEachImageItsReferenceLogits(int batch)
    {
        using var input = OrtValue.CreateTensor(Reference.StackInputs(batch), [batch, 3, 224, 224]);
        using var result = _session.Run("input", input);
        var logits = result["output"];
        Assert.That(logits.Shape.ToArray(), Is.EqualTo(new long[] { batch, Reference.Classes }));

        float worst = 0;
        for (int i = 0; i < batch; i++)
        {
            var image = Reference.Images[i % Reference.Images.Count];
            var row = logits.GetTensorData<float>().Slice(i * Reference.Classes, Reference.Classes);
            var diff = Reference.MaxAbsDiff(row, image.Logits);
            worst = Math.Max(worst, diff);
            Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), $"image {i} ({image.Name}) in a batch of {batch}");
        }
        TestContext.Out.WriteLine($"batch {batch}: worst max |diff| over images = {worst:E2}");
    }

    [Test]
    public void SessionsWithPerSessionThreadsOrFromBytesGiveTheSameLogits()
    {
        var image = Reference.Images[0];
        using var input = OrtValue.CreateTensor(image.Input, [1, 3, 224, 224]);
        using var fromFile = new InferenceSession(SharedData.MobileNetV2Int8Model,
            new SessionOptions { UseGlobalThreadPools = false, IntraOpThreads = 1, ExecutionMode = ExecutionMode.Parallel, InterOpThreads = 1 });
        using var fromBytes = new InferenceSession(File.ReadAllBytes(SharedData.MobileNetV2Int8Model));
        using var a = fromFile.Run("input", input);
        using var b = fromBytes.Run("input", input);
        Assert.That(Reference.MaxAbsDiff(a[0].GetTensorData<float>(), image.Logits), Is.LessThanOrEqualTo(Tolerance));
        Assert.That(Reference.MaxAbsDiff(b[0].GetTensorData<float>(), image.Logits), Is.LessThanOrEqualTo(Tolerance));
        Assert.That(fromBytes.ModelPath, Is.Null);
    }

    /// <summary>
    /// The optimisation level reaches ORT: without graph optimisation the QDQ pairs are not fused into int8 kernels,
    /// so the model computes in float between quantise/dequantise nodes and the logits move visibly away from the
    /// reference (which ORT computed with all optimisations). The optimised graph ORT writes loads and runs on its own.
    /// </summary>
    [Test]
    public void OptimisationLevelAndOptimisedModelOutputReachOrt()
    {
        var image = Reference.Images[0];
        using var input = OrtValue.CreateTensor(image.Input, [1, 3, 224, 224]);
        using var unoptimised = new InferenceSession(SharedData.MobileNetV2Int8Model,
            new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.DisableAll });
        using (var result = unoptimised.Run("input", input))
        {
            var diff = Reference.MaxAbsDiff(result[0].GetTensorData<float>(), image.Logits);
            TestContext.Out.WriteLine($"DisableAll: max |diff| to the reference = {diff}");
            Assert.That(diff, Is.GreaterThan(Tolerance));
        }

        using var temp = new TempDirectory();
        var optimisedPath = temp.File("optimised.onnx");
        using (new InferenceSession(SharedData.MobileNetV2Int8Model, new SessionOptions { OptimizedModelPath = optimisedPath })) { }
        Assert.That(new FileInfo(optimisedPath).Length, Is.GreaterThan(0));
        using var optimised = new InferenceSession(optimisedPath, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.DisableAll });
        using var again = optimised.Run("input", input);
        Assert.That(Reference.MaxAbsDiff(again[0].GetTensorData<float>(), image.Logits), Is.LessThanOrEqualTo(Tolerance));
    }
}
