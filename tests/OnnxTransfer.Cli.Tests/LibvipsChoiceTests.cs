using System.Diagnostics;
using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Which libvips the CLI uses, in real processes: the bundled one (NuGet NetVips.Native, beside the app) unless
/// ONNXTRANSFER_LIBVIPS=system picks Debian's (tools/setup.sh --oracles installs libvips42 for this test); doctor names
/// the file and version; BMP, which only the system build reads (ImageMagick module), becomes an error row with the
/// bundled one and an embedding with the system one.
/// </summary>
[NonParallelizable]
public class LibvipsChoiceTests
{
    private static (int ExitCode, string Stdout, string Stderr) Cli(string? preference, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ExtractCliRunner.CliDll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("ONNXTRANSFER_LIBVIPS");
        if (preference is not null) start.Environment["ONNXTRANSFER_LIBVIPS"] = preference;
        start.Environment["ONNXTRANSFER_SHARED"] = SharedData.Root;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(true); Assert.Fail("onnxtransfer did not finish in 3 minutes"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string LibvipsLine(string doctor) => doctor.Split('\n').Single(l => l.StartsWith("libvips", StringComparison.Ordinal));

    [Test]
    public void DoctorNamesTheBundledLibvipsByDefaultAndTheSystemOneWhenAskedFor()
    {
        var bundled = LibvipsLine(Cli(null, "doctor").Stdout);
        var bundledPath = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libvips.so.42");
        Assert.That(bundled, Is.EqualTo($"libvips        ok  8.18.7 from {bundledPath} [bundled, NuGet NetVips.Native] (images decode through it)"));

        var system = LibvipsLine(Cli("system", "doctor").Stdout);
        Assert.That(system, Does.StartWith("libvips        ok  8.").And.Contain(" from /usr/lib/").And.Contain("/libvips.so.42")
            .And.Contain("[system; ONNXTRANSFER_LIBVIPS=system chose it or none is bundled]"), system);

        var wrong = LibvipsLine(Cli("newest", "doctor").Stdout);
        Assert.That(wrong, Does.Contain("--  ONNXTRANSFER_LIBVIPS=newest is not understood: use 'bundled' or 'system'"));
    }

    [Test]
    public void DoctorSaysThatPlainJpegsDecodeDirectlyAndWithWhichLibrary()
    {
        var line = Cli(null, "doctor").Stdout.Split('\n').Single(l => l.StartsWith("jpeg ", StringComparison.Ordinal));
        Assert.That(line, Does.Match(@"^jpeg +ok  plain JPEGs decode directly with libjpeg-turbo's TurboJPEG \(/\S+/libturbojpeg\.so\.0[.0-9]*\)$"), line);

        var json = JsonDocument.Parse(Cli(null, "doctor", "--json").Stdout).RootElement.GetProperty("jpeg");
        Assert.That(json.GetProperty("ok").GetBoolean());
    }

    [Test]
    public void ABmpIsAnErrorRowWithTheBundledLibvipsAndAnEmbeddingWithTheSystemOne()
    {
        using var folder = new TempDirectory("cli-libvips-bmp");
        var images = Directory.CreateDirectory(folder.File("images")).FullName;
        File.WriteAllBytes(Path.Combine(images, "grey.bmp"), Bmp24(32, 24, 0x80));

        var withBundled = Cli(null, "extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", folder.File("bundled"), "--json", "--quiet");
        using (var json = JsonDocument.Parse(withBundled.Stdout))
        {
            Assert.That(json.RootElement.GetProperty("failed").GetInt32(), Is.EqualTo(1), withBundled.Stderr);
            Assert.That(json.RootElement.GetProperty("embedded").GetInt32(), Is.Zero);
        }
        var errors = Cli(null, "cache", "info", folder.File("bundled"));
        Assert.That(errors.Stdout, Does.Contain("ONNXTRANSFER_LIBVIPS=system"), errors.Stdout);

        var withSystem = Cli("system", "extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", folder.File("system"), "--json", "--quiet");
        using (var json = JsonDocument.Parse(withSystem.Stdout))
        {
            Assert.That(json.RootElement.GetProperty("embedded").GetInt32(), Is.EqualTo(1), withSystem.Stderr);
            Assert.That(json.RootElement.GetProperty("failed").GetInt32(), Is.Zero);
        }
    }

    /// <summary>An uncompressed 24-bit BMP of one grey level (rows bottom-up, padded to 4 bytes).</summary>
    private static byte[] Bmp24(int width, int height, byte grey)
    {
        var stride = (width * 3 + 3) & ~3;
        var bytes = new byte[54 + stride * height];
        void Int(int at, int value) => BitConverter.TryWriteBytes(bytes.AsSpan(at, 4), value);
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        Int(2, bytes.Length); Int(10, 54); Int(14, 40); Int(18, width); Int(22, height);
        bytes[26] = 1; bytes[28] = 24; Int(34, stride * height);
        for (var y = 0; y < height; y++) bytes.AsSpan(54 + y * stride, width * 3).Fill(grey);
        return bytes;
    }
}
