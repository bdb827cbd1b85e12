using System.Text.RegularExpressions;
using OnnxTransfer.Cli.Tests;
using OnnxTransfer.Imaging;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.EndToEnd.Tests;

/// <summary>
/// The README's NativeAOT command, exactly as printed there, publishes a native binary (into a temporary folder) that runs
/// doctor and predict: the bundled libvips travels beside it, a libturbojpeg put beside it is the one used, and the
/// binary predicts what the managed CLI predicts.
/// Slow (a full NativeAOT compile, minutes): one test.
/// </summary>
[Order(5)] // see DemoScriptTests
[NonParallelizable]
public class NativeAotPublishTests
{
    private const string Command = "dotnet publish src/OnnxTransfer.Cli -c Release -r linux-x64 -p:PublishAot=true";

    [Test]
    public void TheReadmeNativeAotCommandBuildsABinaryThatRunsDoctorAndPredict()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        Assert.That(Regex.Matches(readme, Regex.Escape($"`{Command}`")), Has.Count.EqualTo(1), "the README prints the command as tested here");

        using var output = new TempDirectory("cli-native-aot");
        var publish = BashScript.Run($"{Command} -o '{output.Path}' -nologo -clp:ErrorsOnly", RepositoryPaths.Root, timeout: TimeSpan.FromMinutes(15));
        Assert.That(publish.ExitCode, Is.EqualTo(0), publish.Output);
        var binary = output.File("onnxtransfer");
        var compilerArguments = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "OnnxTransfer.Cli", "obj", "Release", "net10.0", "linux-x64", "native", "onnxtransfer.ilc.rsp"));
        Assert.That(compilerArguments, Does.Contain("--instruction-set:x86-64-v2"),
            "Directory.Build.props: SSE4.2, not the SSE2 baseline where preprocessing's integer vectors are emulated");
        Assert.That(File.Exists(binary));
        Assert.That(File.Exists(output.File("libvips.so.42")), "the bundled libvips is published beside the binary");
        Assert.That(File.Exists(output.File("libonnxruntime.so")), "ONNX Runtime (NuGet, CPU) is published beside the binary");

        var doctor = BashScript.Run($"'{binary}' doctor", output.Path);
        TestContext.Out.WriteLine(doctor.Output);
        Assert.That(doctor.ExitCode, Is.EqualTo(0), doctor.Output);
        Assert.That(doctor.Stdout, Does.Contain($"libvips        ok  8.18.7 from {output.File("libvips.so.42")} [bundled, NuGet NetVips.Native]"));
        Assert.That(doctor.Stdout, Does.Contain($"onnxruntime    ok  1.32.0 from {output.File("libonnxruntime.so")}"));
        Assert.That(doctor.Stdout, Does.Match(@"jpeg +ok  plain JPEGs decode directly with libjpeg-turbo's TurboJPEG \(/(usr/)?lib/\S+/libturbojpeg\.so\.0"),
            "the system's libturbojpeg (tools/setup.sh) when none is beside the binary");

        // A self-contained deployment (tools/bench/gpu-kit.sh) carries libturbojpeg beside the binary: that one is used.
        File.Copy(ImageDecoder.DirectJpegLibrary!, output.File("libturbojpeg.so.0"));
        var beside = BashScript.Run($"'{binary}' doctor", output.Path);
        Assert.That(beside.Stdout, Does.Contain($"jpeg           ok  plain JPEGs decode directly with libjpeg-turbo's TurboJPEG ({output.File("libturbojpeg.so.0")})"), beside.Output);

        var fused = ScoreTestModels.Instance.FusedPath;
        string[] images = [Path.Combine(ScoreTestModels.ValFolder, "bees", "10870992_eebeeb3a12.jpg"), Path.Combine(ScoreTestModels.ValFolder, "ants", "10308379_1b6c72e180.jpg")];
        var native = BashScript.Run($"'{binary}' predict --model '{fused}' '{images[0]}' '{images[1]}'", output.Path);
        Assert.That(native.ExitCode, Is.EqualTo(0), native.Output);
        var managed = ExtractCliRunner.Run(["predict", "--model", fused, .. images]);
        Assert.That(managed.ExitCode, Is.EqualTo(0), managed.Stderr);
        Assert.That(native.Stdout, Is.EqualTo(managed.Stdout), "the native binary predicts what the managed CLI predicts");
        Assert.That(native.Stdout, Does.Contain("bees").And.Contain("ants"));
    }
}
