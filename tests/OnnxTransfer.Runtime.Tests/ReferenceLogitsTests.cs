using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>
/// Through our seam, the official ONNX Runtime package reproduces the reference logits (computed by ONNX Runtime with
/// all optimisations) for every shared reference image, alone and in batches, running into our own buffers.
/// </summary>
public class ReferenceLogitsTests
{
    private const float Tolerance = 1e-3f;
    private ModelSession _session = null!;

    [OneTimeSetUp]
    public void LoadModel() => _session = ModelSession.Open(SharedData.MobileNetV2Int8Model, new SessionSettings());

    [OneTimeTearDown]
    public void DisposeModel() => _session.Dispose();

    [TestCase(1)]
    [TestCase(8)]
    [TestCase(32)]
    public void BatchesIntoOurBuffersGiveEachImageItsReferenceLogits(int batch)
    {
        var logits = new float[batch * Reference.Classes];
        using (var input = TensorValues.Over<float>(Reference.StackInputs(batch), [batch, 3, 224, 224]))
        using (var output = TensorValues.Over<float>(logits, [batch, Reference.Classes]))
            _session.Run(["input"], [input], ["output"], [output]);

        float worst = 0;
        for (var i = 0; i < batch; i++)
        {
            var image = Reference.Images[i % Reference.Images.Count];
            var diff = Reference.MaxAbsDiff(logits.AsSpan(i * Reference.Classes, Reference.Classes), image.Logits);
            worst = Math.Max(worst, diff);
            Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), $"image {i} ({image.Name}) in a batch of {batch}");
        }
        TestContext.Out.WriteLine($"ONNX Runtime {RuntimeInfo.Version}, batch {batch}: worst max |diff| = {worst:E2}");
    }

    [Test]
    public void AllocatingRunAndSessionFromBytesGiveTheSameLogitsAsRunningIntoBuffers()
    {
        var image = Reference.Images[0];
        using var input = OrtValue.CreateTensorValueFromMemory(image.Input, [1, 3, 224, 224]);
        using var fromBytes = ModelSession.Open(File.ReadAllBytes(SharedData.MobileNetV2Int8Model), new SessionSettings { IntraOpThreads = 1 });
        using var a = _session.Run(["input"], [input], ["output"]);
        using var b = fromBytes.Run(["input"], [input], ["output"]);
        Assert.That(a[0].GetTensorDataAsSpan<float>().ToArray(), Is.EqualTo(b[0].GetTensorDataAsSpan<float>().ToArray()), "bit-identical");
        Assert.That(Reference.MaxAbsDiff(a[0].GetTensorDataAsSpan<float>(), image.Logits), Is.LessThanOrEqualTo(Tolerance));
        Assert.That(_session.ActiveProviders, Is.EqualTo(new[] { CpuExecutionProvider.ProviderName }));
        Assert.That(_session.InputNames, Is.EqualTo(new[] { "input" }));
    }

    [Test]
    public void EightThreadsGiveResultsIdenticalToASequentialRun()
    {
        const int threads = 8, runsPerThread = 60;
        using var session = ModelSession.Open(SharedData.MobileNetV2Int8Model, new SessionSettings { IntraOpThreads = 1 });
        var sequential = Reference.Images.Select(image =>
        {
            using var input = OrtValue.CreateTensorValueFromMemory(image.Input, [1, 3, 224, 224]);
            using var result = session.Run(["input"], [input], ["output"]);
            return result[0].GetTensorDataAsSpan<float>().ToArray();
        }).ToArray();
        var mismatches = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            var logits = new float[Reference.Classes];
            using var output = TensorValues.Over<float>(logits, [1, Reference.Classes]);
            for (var run = 0; run < runsPerThread; run++)
            {
                var k = (thread * 7 + run) % Reference.Images.Count;
                using var input = TensorValues.Over<float>(Reference.Images[k].Input, [1, 3, 224, 224]);
                session.Run(["input"], [input], ["output"], [output]);
                if (!logits.AsSpan().SequenceEqual(sequential[k])) Interlocked.Increment(ref mismatches);
            }
        });
        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void CancellationStopsBeforeAndDuringARunAndTheThreadRunsAgainAfterwards()
    {
        const int batch = 64;
        var logits = new float[batch * Reference.Classes];
        using var input = TensorValues.Over<float>(Reference.StackInputs(batch), [batch, 3, 224, 224]);
        using var output = TensorValues.Over<float>(logits, [batch, Reference.Classes]);
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => _session.Run(["input"], [input], ["output"], [output], cancelled.Token));
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _session.Run(["input"], [input], ["output"], [output]);
        var fullRun = clock.Elapsed;
        using (var source = new CancellationTokenSource())
        {
            source.CancelAfter(fullRun / 10);
            clock.Restart();
            var error = Assert.Throws<OperationCanceledException>(() => _session.Run(["input"], [input], ["output"], [output], source.Token));
            TestContext.Out.WriteLine($"full run {fullRun.TotalMilliseconds:F0} ms; cancelled after {clock.Elapsed.TotalMilliseconds:F0} ms");
            Assert.That(error!.CancellationToken, Is.EqualTo(source.Token));
        }
        // The thread's run options were reset: the next run completes.
        using var live = new CancellationTokenSource();
        Assert.DoesNotThrow(() => _session.Run(["input"], [input], ["output"], [output], live.Token));
    }
}
