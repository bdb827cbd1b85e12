using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>Provider choice, CUDA diagnostics and ONNX Runtime's log, on the CPU package these tests run with.</summary>
[NonParallelizable]
public class ProviderAndLoggingTests
{
    private static SessionSettings Cuda(ProviderFallback fallback, List<string>? warnings = null) => new()
    {
        ExecutionProviders = SessionSettings.ProvidersFor(cuda: true, deviceId: 0),
        ProviderFallback = fallback,
        WarningSink = warnings is null ? null : warnings.Add,
    };

    [Test]
    public void CudaOnTheCpuPackageIsRefusedNamingTheGpuPackage()
    {
        Assert.That(RuntimeInfo.AvailableProviders, Does.Not.Contain(CudaExecutionProvider.ProviderName), "the tests run with the CPU package");
        var error = Assert.Throws<ExecutionProviderUnavailableException>(() => ModelSession.Open(SharedData.MobileNetV2Int8Model, Cuda(ProviderFallback.Strict)));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ProviderName, Is.EqualTo(CudaExecutionProvider.ProviderName));
        Assert.That(error.Message, Does.Contain("Microsoft.ML.OnnxRuntime.Gpu.Linux").And.Contain("-p:OnnxTransferGpu=true"));
        Assert.That(error.Message, Does.Not.Contain("CUDA 12"));
    }

    [Test]
    public void CpuFallbackWarnsAndReportsTheProviderThatRuns()
    {
        var warnings = new List<string>();
        using var session = ModelSession.Open(SharedData.MobileNetV2Int8Model, Cuda(ProviderFallback.FallbackToCpu, warnings));
        Assert.That(session.ActiveProviders, Is.EqualTo(new[] { CpuExecutionProvider.ProviderName }));
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0], Does.Contain("running on CPU instead").And.Contain("Microsoft.ML.OnnxRuntime.Gpu.Linux"));
        Assert.That(session.Warnings, Is.EqualTo(warnings));
    }

    /// <summary>
    /// With the GPU package on a machine without CUDA (this one: no driver, no CUDA 13), the probe names the missing
    /// files in the order the provider loads them; the probe itself is the real dynamic loader.
    /// </summary>
    [Test]
    public void WithTheGpuBuildTheMissingLibrariesAreNamedByFileName()
    {
        using var folder = new TempDirectory();
        File.WriteAllBytes(Path.Combine(folder.Path, "libonnxruntime_providers_shared.so"), []);
        var missing = CudaDiagnostics.MissingPieces([CudaExecutionProvider.ProviderName, CpuExecutionProvider.ProviderName], folder.Path, CudaDiagnostics.CanLoad);
        TestContext.Out.WriteLine(string.Join("\n", missing));
        Assert.That(missing[0], Does.StartWith("libonnxruntime_providers_cuda.so"));
        Assert.That(missing, Has.Some.StartsWith("libcuda.so.1").And.Some.Contains("580"));
        Assert.That(missing, Has.Some.StartsWith("libcudart.so.13"));
        Assert.That(missing, Has.Some.StartsWith("libcudnn.so.9"));

        var onlyCudnnMissing = CudaDiagnostics.MissingPieces([CudaExecutionProvider.ProviderName], null, file => file != "libcudnn.so.9");
        Assert.That(onlyCudnnMissing, Has.Count.EqualTo(1));
        Assert.That(onlyCudnnMissing[0], Does.StartWith("libcudnn.so.9").And.Contain("cuDNN 9 for CUDA 13"));
        Assert.That(CudaDiagnostics.MissingPieces([CudaExecutionProvider.ProviderName], null, _ => true), Is.Empty);
    }

    /// <summary>
    /// A session of the quantised model makes ONNX Runtime log dozens of "Removing initializer" warnings; they go to
    /// our history, not to the console, and only lines at the forwarded level reach the sink.
    /// </summary>
    [Test]
    public void OnnxRuntimeWarningsAreKeptInOurLogAndForwardedOnlyAtTheChosenLevel()
    {
        var forwarded = new List<string>();
        var sink = RuntimeLog.Sink;
        var level = RuntimeLog.ForwardLevel;
        try
        {
            RuntimeLog.Sink = line => { lock (forwarded) forwarded.Add(line); };
            RuntimeLog.ForwardLevel = Microsoft.ML.OnnxRuntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            var mark = RuntimeLog.Mark;
            using (ModelSession.Open(SharedData.MobileNetV2Int8Model, new SessionSettings())) { }
            var kept = RuntimeLog.Since(mark);
            TestContext.Out.WriteLine($"{kept.Count} warnings kept, e.g. {kept.FirstOrDefault()}");
            Assert.That(kept, Has.Some.Contains("Removing initializer"));
            Assert.That(forwarded, Is.Empty, "warnings are not forwarded at the default (error) level");

            RuntimeLog.ForwardLevel = Microsoft.ML.OnnxRuntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
            using (ModelSession.Open(SharedData.MobileNetV2Int8Model, new SessionSettings())) { }
            Assert.That(forwarded, Has.Some.StartsWith("onnxruntime warning:").And.Some.Contains("Removing initializer"));
        }
        finally
        {
            RuntimeLog.Sink = sink;
            RuntimeLog.ForwardLevel = level;
        }
    }
}
