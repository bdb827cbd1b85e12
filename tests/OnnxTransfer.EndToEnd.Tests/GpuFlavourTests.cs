using System.Text.RegularExpressions;
using OnnxTransfer.Cli.Tests;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.EndToEnd.Tests;

/// <summary>
/// The GPU flavour of the CLI, published with the README's one switch (<c>-p:OnnxTransferGpu=true</c>), carries ONNX
/// Runtime's CUDA build (Microsoft.ML.OnnxRuntime.Gpu.Linux) and, on a machine without CUDA (every CI machine), names
/// each missing library by file: in <c>doctor</c>, in a strict <c>--device cuda</c> refusal, and in the
/// <c>--cpu-fallback</c> warning, while the provider that actually ran is reported. What it cannot show is a run on a GPU.
/// </summary>
[Order(4)] // see DemoScriptTests
[NonParallelizable]
public class GpuFlavourTests
{
    private const string Command = "dotnet publish src/OnnxTransfer.Cli -c Release -r linux-x64 -p:OnnxTransferGpu=true";

    [Test]
    public void TheGpuSwitchPublishesTheCudaBuildThatNamesEveryMissingCudaLibrary()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        Assert.That(readme, Does.Contain(Command), "the README prints the command tested here");

        using var output = new TempDirectory("cli-gpu-flavour");
        var publish = BashScript.Run($"{Command} -o '{output.Path}' -nologo -clp:ErrorsOnly", RepositoryPaths.Root, timeout: TimeSpan.FromMinutes(15));
        Assert.That(publish.ExitCode, Is.EqualTo(0), publish.Output);
        Assert.That(File.Exists(output.File("libonnxruntime_providers_cuda.so")), "the CUDA provider comes with the GPU package");
        var binary = output.File("onnxtransfer");

        var doctor = BashScript.Run($"'{binary}' doctor", output.Path);
        TestContext.Out.WriteLine(doctor.Output);
        Assert.That(doctor.Stdout, Does.Contain("CUDAExecutionProvider"));
        var cudaLine = doctor.Stdout.Split('\n').Single(line => line.StartsWith("cuda "));
        if (cudaLine.Contains(" ok ")) Assert.Ignore("this machine has CUDA: the missing-library path cannot be shown here (needs a machine without a GPU)");
        foreach (var library in new[] { "libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10", "libcudnn.so.9" })
            if (!Loadable(library)) Assert.That(cudaLine, Does.Contain(library));

        using var cache = new TempDirectory("cli-gpu-flavour-cache");
        var images = Path.Combine(ScoreTestModels.ValFolder, "ants");
        var spec = ExtractCliRunner.MobileNetV2Spec;
        var strict = BashScript.Run($"'{binary}' extract --backbone '{spec}' --images '{images}' --cache '{cache.File("strict")}' --device cuda --limit 4", output.Path);
        Assert.That(strict.ExitCode, Is.EqualTo(2), strict.Output);
        Assert.That(strict.Stderr, Does.Contain("could not start").And.Contain("Missing:").And.Contain("--cpu-fallback"));
        Assert.That(strict.Stderr, Does.Not.Contain("CUDA 12"));
        Assert.That(Directory.Exists(cache.File("strict")) && Directory.GetFiles(cache.File("strict"), "part-*").Length > 0, Is.False, "nothing embedded");

        var fallback = BashScript.Run($"'{binary}' extract --backbone '{spec}' --images '{images}' --cache '{cache.File("fallback")}' --device cuda --cpu-fallback --limit 4", output.Path);
        Assert.That(fallback.ExitCode, Is.EqualTo(0), fallback.Output);
        Assert.That(fallback.Stderr, Does.Contain("running on CPU instead"));
        Assert.That(fallback.Output, Does.Contain("CPUExecutionProvider"));
    }

    private static bool Loadable(string library)
    {
        if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out var handle)) return false;
        System.Runtime.InteropServices.NativeLibrary.Free(handle);
        return true;
    }
}
