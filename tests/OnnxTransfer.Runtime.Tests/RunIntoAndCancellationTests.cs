using System.Diagnostics;
using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class RunIntoAndCancellationTests
{
    private InferenceSession _session = null!;

    [OneTimeSetUp]
    public void LoadModel() => _session = new InferenceSession(SharedData.MobileNetV2Int8Model,
        new SessionOptions { UseGlobalThreadPools = false, IntraOpThreads = 1 });

    [OneTimeTearDown]
    public void DisposeModel() => _session.Dispose();

    [Test]
    public void RunIntoPreallocatedOutputEqualsAllocatingRun()
    {
        const int batch = 8;
        using var input = OrtValue.CreateTensor(Reference.StackInputs(batch), [batch, 3, 224, 224]);
        var logits = new float[batch * Reference.Classes];
        Array.Fill(logits, float.NaN);
        using var output = OrtValue.CreateTensor(logits, [batch, Reference.Classes]);

        using var allocated = _session.Run("input", input);
        for (int repeat = 0; repeat < 3; repeat++) // the same buffers, reused
        {
            _session.Run(["input"], [input], ["output"], [output]);
            // The run wrote straight into our managed array: no copy in between.
            Assert.That(logits, Is.EqualTo(allocated["output"].GetTensorData<float>().ToArray()));
        }
        Assert.That(Reference.MaxAbsDiff(logits.AsSpan(0, Reference.Classes), Reference.Images[0].Logits), Is.LessThanOrEqualTo(1e-3f));
    }

    [Test]
    public void RunIntoPreallocatedOutputAllocatesNothingManaged()
    {
        using var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        using var output = OrtValue.AllocateTensor<float>([1, Reference.Classes]);
        _session.Run(["input"], [input], ["output"], [output]); // first call: JIT, ORT's memory plan
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) _session.Run(["input"], [input], ["output"], [output]);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"managed bytes allocated by 20 runs into a preallocated output: {allocated}");
        Assert.That(allocated, Is.Zero);

        // With a cancellation token too (the token's registration nodes are recycled, the run options are per thread).
        using var source = new CancellationTokenSource();
        _session.Run(["input"], [input], ["output"], [output], cancellationToken: source.Token);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) _session.Run(["input"], [input], ["output"], [output], cancellationToken: source.Token);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"... and with a cancellation token: {allocated}");
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void OutputsCannotBeReadAfterTheResultIsDisposed()
    {
        using var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        var result = _session.Run("input", input);
        var output = result["output"];
        Assert.That(output.GetTensorData<float>().Length, Is.EqualTo(Reference.Classes));
        result.Dispose();
        Assert.That(output.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => output.GetTensorData<float>());
        Assert.Throws<KeyNotFoundException>(() => _ = result["logits"]);
    }

    [Test]
    public void InputOverManagedMemoryIsNotCopied()
    {
        var data = (float[])Reference.Images[0].Input.Clone();
        using var input = OrtValue.CreateTensor(data, [1, 3, 224, 224]);
        using var first = _session.Run("input", input);
        Reference.Images[2].Input.CopyTo(data, 0); // change the array after the value was made
        using var second = _session.Run("input", input);
        Assert.That(Reference.MaxAbsDiff(first[0].GetTensorData<float>(), Reference.Images[0].Logits), Is.LessThanOrEqualTo(1e-3f));
        Assert.That(Reference.MaxAbsDiff(second[0].GetTensorData<float>(), Reference.Images[2].Logits), Is.LessThanOrEqualTo(1e-3f));
    }

    [Test]
    public void AlreadyCancelledTokenStopsBeforeRunning()
    {
        using var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => _session.Run("input", input, cancellationToken: cancelled.Token));
        using var after = _session.Run("input", input); // the session is unharmed
        Assert.That(after[0].GetTensorData<float>()[0], Is.Not.NaN);
    }

    [Test]
    public void TerminateFlagMakesOrtStopAndResetRunsAgain()
    {
        using var input = OrtValue.CreateTensor(Reference.Images[0].Input, [1, 3, 224, 224]);
        using var options = new RunOptions { LogTag = "terminate-test" };
        options.Terminate();
        var error = Assert.Throws<OperationCanceledException>(() => _session.Run("input", input, options));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.InnerException, Is.InstanceOf<OrtException>(), "ORT itself stopped at the flag");
        options.ResetTerminate();
        using var result = _session.Run("input", input, options);
        Assert.That(Reference.MaxAbsDiff(result[0].GetTensorData<float>(), Reference.Images[0].Logits), Is.LessThanOrEqualTo(1e-3f));
    }

    [Test]
    public void TokenCancelledDuringARunStopsIt()
    {
        const int batch = 32;
        using var input = OrtValue.CreateTensor(Reference.StackInputs(batch), [batch, 3, 224, 224]);
        var clock = Stopwatch.StartNew();
        using (_session.Run("input", input)) { }
        var fullRun = clock.Elapsed;

        using var source = new CancellationTokenSource();
        source.CancelAfter(fullRun / 10);
        clock.Restart();
        var error = Assert.Throws<OperationCanceledException>(() => _session.Run("input", input, cancellationToken: source.Token));
        var cancelledRun = clock.Elapsed;
        TestContext.Out.WriteLine($"full batch-{batch} run {fullRun.TotalMilliseconds:F0} ms, cancelled after {cancelledRun.TotalMilliseconds:F0} ms");
        Assert.That(error!.CancellationToken, Is.EqualTo(source.Token));
        Assert.That(error.InnerException, Is.InstanceOf<OrtException>());

        // The thread's run options were reset: the next run with a live token completes.
        using var live = new CancellationTokenSource();
        using var next = _session.Run("input", input, cancellationToken: live.Token);
        Assert.That(next[0].Shape[0], Is.EqualTo(batch));
    }
}
