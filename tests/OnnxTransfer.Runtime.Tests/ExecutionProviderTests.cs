using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>
/// The ONNX Runtime installed for the tests is the CPU-only build: requesting CUDA must fail clearly (Strict) or fall
/// back to CPU with a warning (FallbackToCpu). The CUDA success path needs a GPU build and a GPU, absent here.
/// </summary>
public class ExecutionProviderTests
{
    [SetUp]
    public void RequireCpuOnlyBuild()
    {
        var folder = Path.GetDirectoryName(OrtLibrary.Shared.LoadedPath)!;
        if (File.Exists(Path.Combine(folder, "libonnxruntime_providers_cuda.so")))
            Assert.Ignore("This ONNX Runtime has a CUDA provider; these tests check its absence.");
    }

    [Test]
    public void StrictCudaWithoutProviderLibrariesNamesWhatIsMissing()
    {
        var options = new SessionOptions { ExecutionProviders = [ExecutionProvider.Cuda(deviceId: 0)], ProviderFallback = ProviderFallback.Strict };
        var error = Assert.Throws<ExecutionProviderUnavailableException>(() => new InferenceSession(SharedData.MobileNetV2Int8Model, options));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(error.ProviderName, Is.EqualTo("CUDAExecutionProvider"));
        Assert.That(error.Message, Does.Contain("libonnxruntime_providers_cuda.so").And.Contain("libonnxruntime_providers_shared.so"));
        Assert.That(error.Message, Does.Contain("CUDA 12").And.Contain("cuDNN 9"));
        Assert.That(error.Message, Does.Contain(OrtLibrary.LibraryPathVariable).And.Contain("GPU build"));
        Assert.That(error.NativeMessage, Is.Not.Empty, "ORT's own words are kept");
    }

    [Test]
    public void FallbackToCpuWarnsAndRunsOnCpu()
    {
        var sink = new List<string>();
        var options = new SessionOptions
        {
            ExecutionProviders = [ExecutionProvider.Cuda(), ExecutionProvider.Cpu],
            ProviderFallback = ProviderFallback.FallbackToCpu,
            WarningSink = sink.Add,
        };
        using var session = new InferenceSession(SharedData.MobileNetV2Int8Model, options);
        TestContext.Out.WriteLine(string.Join("\n", session.Warnings));

        Assert.That(session.ActiveProviders, Is.EqualTo(new[] { "CPUExecutionProvider" }));
        Assert.That(sink, Is.EqualTo(session.Warnings));
        Assert.That(sink, Has.Count.EqualTo(1));
        Assert.That(sink[0], Does.Contain("CUDAExecutionProvider").And.Contain("running on CPU").And.Contain("libonnxruntime_providers_cuda.so"));

        var image = Reference.Images[1];
        using var input = OrtValue.CreateTensor(image.Input, [1, 3, 224, 224]);
        using var result = session.Run("input", input);
        Assert.That(Reference.MaxAbsDiff(result[0].GetTensorData<float>(), image.Logits), Is.LessThanOrEqualTo(1e-3f));
    }

    [Test]
    public void BadProviderSettingsAreRefusedBeforeLoading()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceSession(SharedData.MobileNetV2Int8Model,
            new SessionOptions { ExecutionProviders = [ExecutionProvider.Cuda(deviceId: -1)] }));
        Assert.Throws<ArgumentException>(() => new InferenceSession(SharedData.MobileNetV2Int8Model,
            new SessionOptions { ExecutionProviders = [ExecutionProvider.Cuda(options: new Dictionary<string, string> { ["device_id"] = "1" })] }));
    }
}
