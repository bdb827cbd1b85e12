using OnnxTransfer.Imaging;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Diagnostics;

/// <summary>One line of a machine check: what was checked, whether it can be used, and what it is or how to fix it.</summary>
public sealed record EnvironmentCheck(string Name, bool Ok, string Detail);

/// <summary>
/// What this machine can run of the feature side: ONNX Runtime (version, path, providers, the CUDA libraries) and
/// libvips. A missing piece is a failed check that names the fix, never an exception.
/// </summary>
public static class EnvironmentChecks
{
    /// <summary>ONNX Runtime's version and path, its providers and whether the CUDA provider can start.</summary>
    public static IReadOnlyList<EnvironmentCheck> OnnxRuntime()
    {
        var checks = new List<EnvironmentCheck>();
        try
        {
            var providers = RuntimeInfo.AvailableProviders;
            checks.Add(new("onnxruntime", true, $"{RuntimeInfo.Version} from {RuntimeInfo.NativeLibraryPath ?? "(path unknown)"}"));
            checks.Add(new("providers", true, string.Join(", ", providers)));
            var missing = CudaDiagnostics.MissingPieces(providers, RuntimeInfo.NativeLibraryFolder, CudaDiagnostics.CanLoad);
            checks.Add(missing.Count == 0
                ? new("cuda", true, "the CUDA provider, the NVIDIA driver, CUDA 13 and cuDNN 9 libraries all load (--device cuda can run)")
                : new("cuda", false, $"not available: {string.Join("; ", missing)}"));
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            checks.Add(new("onnxruntime", false, $"{e.Message} — libonnxruntime.so ships with the Microsoft.ML.OnnxRuntime package: " +
                                                 "run the published onnxtransfer from its own folder (the native library lies beside it)"));
        }
        return checks;
    }

    /// <summary>
    /// How many threads a model's operators get with <c>--threads 0</c>: the physical cores this process may use
    /// (<see cref="PhysicalCores"/>), or a note that ONNX Runtime guesses them where the topology cannot be read.
    /// </summary>
    public static string OperatorThreads() => PhysicalCores.Count is { } physical
        ? $"{physical} physical (the model's operator threads with --threads 0)"
        : "physical unknown (--threads 0 leaves the count to ONNX Runtime)";

    /// <summary>The libvips that decodes images: its version, path and whether it is the bundled one.</summary>
    public static EnvironmentCheck Libvips()
    {
        try
        {
            var origin = VipsRuntime.IsBundled ? "bundled, NuGet NetVips.Native" : "system; ONNXTRANSFER_LIBVIPS=system chose it or none is bundled";
            return new("libvips", true, $"{VipsRuntime.Version} from {VipsRuntime.LibraryPath} [{origin}] (images decode through it)");
        }
        catch (Exception e) when (e is VipsException or DllNotFoundException)
        {
            return new("libvips", false, e.Message);
        }
    }

    /// <summary>Whether plain JPEGs decode directly with libturbojpeg, or through libvips (slower, same pixels).</summary>
    public static EnvironmentCheck Jpeg() => ImageDecoder.DirectJpegLibrary is { } library
        ? new("jpeg", true, $"plain JPEGs decode directly with libjpeg-turbo's TurboJPEG ({library})")
        : new("jpeg", false, "libturbojpeg.so.0 not found: JPEGs decode through libvips, same pixels but about 1.6× the time per " +
                             "image (apt-get install libturbojpeg0, or tools/setup.sh; or put libturbojpeg.so.0 beside the application)");

    /// <summary>Sends ONNX Runtime's own log (at the level ONNXTRANSFER_ORT_LOG sets; errors by default) to <paramref name="sink"/>.</summary>
    public static void SendRuntimeLogTo(Action<string> sink) => RuntimeLog.Sink = sink;
}
