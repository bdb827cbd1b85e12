using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Imaging;
using OnnxTransfer.Runtime;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Inference.Tests;

/// <summary>The Predictor's API on the real fused model: every input form, top-k, bad inputs, many threads.</summary>
[NonParallelizable]
public class PredictorTests
{
    private static Hymenoptera H => Hymenoptera.Instance;
    private Predictor _predictor = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _predictor = Predictor.FromFusedModel(H.FusedPath, new PredictorOptions { TopK = 2, MaxBatchSize = 8 });
        _predictor.WarmUp();
    }

    [OneTimeTearDown]
    public void Unload() => _predictor.Dispose();

    [Test]
    public void PathsBytesAndPixelsGiveTheSamePrediction()
    {
        var path = H.Val.Sources[3];
        var fromPath = _predictor.Predict(path);
        var fromBytes = _predictor.Predict(File.ReadAllBytes(path), "bee.jpg");
        DecodedImage image;
        var preprocessor = new ImagePreprocessor(_predictor.Preprocessing);
        using (image = new ImageDecoder(new ImageDecoderOptions { ShrinkOnLoad = false }).Decode(path))
        {
            var fromPixels = _predictor.Predict(image.Pixels, image.Width, image.Height);
            Assert.That(fromPixels.Probabilities, Is.EqualTo(fromPath.Probabilities).Within(1e-6f), "no shrink-on-load for this small JPEG");
        }
        var batch = _predictor.PredictFiles([path]);
        Assert.That(fromBytes.Probabilities, Is.EqualTo(fromPath.Probabilities));
        Assert.That(batch[0].Probabilities, Is.EqualTo(fromPath.Probabilities));
        Assert.That(fromBytes.Input, Is.EqualTo("bee.jpg"));
        Assert.That(fromPath.Label, Is.EqualTo(H.Head.Labels[fromPath.LabelIndex]));
    }

    [Test]
    public void TopKIsOrderedAndNamed()
    {
        var p = _predictor.Predict(H.Val.Sources[100]);
        Assert.That(p.TopK, Has.Count.EqualTo(2));
        Assert.That(p.TopK[0].Probability, Is.GreaterThanOrEqualTo(p.TopK[1].Probability));
        Assert.That(p.TopK[0].Label, Is.EqualTo(p.Label));
        Assert.That(p.TopK.Select(t => t.Label), Is.EquivalentTo(new[] { "ants", "bees" }));
        Assert.That(p.TopK[0].Probability + p.TopK[1].Probability, Is.EqualTo(1f).Within(1e-5f));
        Assert.That(p.Probability, Is.EqualTo(p.TopK[0].Probability));
    }

    [Test]
    public void BadInputsInABatchBecomeFailedPredictionsAndTheRestIsScored()
    {
        using var folder = new TempDirectory("predictor-bad");
        var truncated = folder.File("truncated.jpg");
        var bytes = File.ReadAllBytes(H.Val.Sources[5]);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        var text = folder.File("notes.jpg");
        File.WriteAllText(text, "not an image at all");
        var paths = new[] { H.Val.Sources[0], folder.File("missing.jpg"), truncated, text, H.Val.Sources[1] };

        var results = _predictor.PredictFiles(paths);
        Assert.That(results.Select(r => r.Succeeded), Is.EqualTo(new[] { true, false, false, false, true }));
        Assert.That(results[1].ErrorReason, Is.EqualTo("not-found"));
        Assert.That(results[2].ErrorReason, Is.EqualTo("truncated"));
        Assert.That(results[3].ErrorReason, Is.EqualTo("not-an-image"));
        Assert.That(results[0].Probabilities, Is.EqualTo(_predictor.Predict(paths[0]).Probabilities));
        Assert.That(results[4].Probabilities, Is.EqualTo(_predictor.Predict(paths[4]).Probabilities));
        Assert.That(Assert.Throws<ImageDecodeException>(() => _predictor.Predict(paths[1]))!.ReasonCode, Is.EqualTo("not-found"));
    }

    [Test]
    public void CudaIsStrictByDefaultAndFallsBackToCpuOnlyWhenAllowed()
    {
        // The ONNX Runtime here is the CPU build: CUDA cannot start, which is what the rule is about.
        Assert.Throws<ExecutionProviderUnavailableException>(() => Predictor.FromFusedModel(H.FusedPath, new PredictorOptions { Device = DeviceKind.Cuda }).Dispose());
        Assert.Throws<ExecutionProviderUnavailableException>(() => Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel, new PredictorOptions { Device = DeviceKind.Cuda }).Dispose());
        var warnings = new List<string>();
        using var fallback = Predictor.FromFusedModel(H.FusedPath, new PredictorOptions { Device = DeviceKind.Cuda, CpuFallback = true, WarningSink = warnings.Add });
        Assert.That(fallback.ActiveProviders, Is.EqualTo(new[] { "CPUExecutionProvider" }));
        Assert.That(warnings, Is.Not.Empty);
        Assert.That(fallback.Warnings, Is.Not.Empty);
        Assert.That(fallback.Predict(H.Val.Sources[0]).Probabilities, Is.EqualTo(_predictor.Predict(H.Val.Sources[0]).Probabilities));
    }

    [Test]
    public void SixteenThreadsTimesFiveHundredPredictionsEqualSequentialCallsAndMemoryStaysFlat()
    {
        // Decoded pixels of 20 val images: the threads exercise the shared session and the buffer pool, not the JPEG decoder.
        const int images = 20, threads = 16, perThread = 500;
        var decoder = new ImageDecoder(new ImageDecoderOptions { ShrinkOnLoad = false });
        var pixels = new (byte[] Rgb, int Width, int Height)[images];
        for (var i = 0; i < images; i++)
        {
            using var image = decoder.Decode(H.Val.Sources[i * 7]);
            pixels[i] = (image.Pixels.ToArray(), image.Width, image.Height);
        }
        var expected = pixels.Select(p => _predictor.Predict(p.Rgb, p.Width, p.Height).Probabilities!.ToArray()).ToArray();

        long Memory()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return Process.GetCurrentProcess().WorkingSet64;
        }

        var mismatches = 0;
        void Round(int perThreadCount)
        {
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (var n = 0; n < perThreadCount; n++)
                {
                    var i = (t * 7 + n) % images;
                    var p = _predictor.Predict(pixels[i].Rgb, pixels[i].Width, pixels[i].Height);
                    if (!p.Probabilities!.SequenceEqual(expected[i])) Interlocked.Increment(ref mismatches);
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
        }

        Round(20); // the buffer pool and ORT's arena reach their working size
        var before = Memory();
        var clock = Stopwatch.StartNew();
        Round(perThread);
        var after = Memory();
        TestContext.Out.WriteLine($"{threads} threads × {perThread} predictions in {clock.Elapsed.TotalSeconds:F1} s " +
                                  $"({threads * perThread / clock.Elapsed.TotalSeconds:F0}/s); working set {before / 1048576} → {after / 1048576} MiB");
        Assert.That(mismatches, Is.Zero, "every concurrent prediction equals the sequential one, bit for bit");
        Assert.That(after - before, Is.LessThan(64L << 20), "memory stays flat: buffers are pooled, nothing accumulates per call");
    }
}
