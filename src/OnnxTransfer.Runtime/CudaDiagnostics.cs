using System.Runtime.InteropServices;
using System.Text;

namespace OnnxTransfer.Runtime;

/// <summary>
/// Explains, in files and packages a user can act on, why CUDA cannot run. ONNX Runtime's own exception only says
/// "Failed to load shared library"; the cause is one of: the CPU package instead of the GPU one, a missing provider
/// library, the driver, or one CUDA 13 / cuDNN 9 library that the dynamic loader cannot find. Each is probed by
/// loading it, in the order the provider needs them, so the first missing file is named.
/// </summary>
public static class CudaDiagnostics
{
    /// <summary>The package that carries the CUDA build of ONNX Runtime on Linux.</summary>
    public const string GpuPackage = "Microsoft.ML.OnnxRuntime.Gpu.Linux";

    /// <summary>How the CLI is built with the GPU package.</summary>
    public const string GpuPublishCommand = "dotnet publish src/OnnxTransfer.Cli -c Release -r linux-x64 -p:OnnxTransferGpu=true";

    /// <summary>
    /// The libraries ONNX Runtime 1.30+ needs for CUDA, in load order, with what provides each: the ones
    /// libonnxruntime_providers_cuda.so of Microsoft.ML.OnnxRuntime.Gpu.Linux 1.32.0 links (readelf -d: libcuda.so.1,
    /// libcudart.so.13, libcublasLt.so.13, libcublas.so.13, libcurand.so.10), then cuDNN, which it opens at run time.
    /// </summary>
    public static IReadOnlyList<(string File, string ProvidedBy)> Requirements { get; } =
    [
        ("libcuda.so.1", "the NVIDIA driver, version 580 or later (nvidia-smi shows it)"),
        ("libcudart.so.13", "the CUDA 13 runtime (cuda-cudart-13-0, or the nvidia-cuda-runtime-cu13 wheel)"),
        ("libcublasLt.so.13", "cuBLAS for CUDA 13 (libcublas-13-0, or the nvidia-cublas-cu13 wheel)"),
        ("libcublas.so.13", "cuBLAS for CUDA 13 (libcublas-13-0, or the nvidia-cublas-cu13 wheel)"),
        ("libcurand.so.10", "cuRAND for CUDA 13 (libcurand-13-0, or the nvidia-curand-cu13 wheel)"),
        ("libcudnn.so.9", "cuDNN 9 for CUDA 13 (libcudnn9-cuda-13, or the nvidia-cudnn-cu13 wheel)"),
    ];

    /// <summary>The provider libraries the GPU package puts beside libonnxruntime.so.</summary>
    public static IReadOnlyList<string> ProviderLibraries { get; } = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];

    /// <summary>Whether this process's ONNX Runtime was built with the CUDA provider (the GPU package).</summary>
    public static bool BuildHasCuda(IReadOnlyList<string> availableProviders) =>
        availableProviders.Contains(CudaExecutionProvider.ProviderName);

    /// <summary>
    /// What is missing for CUDA, first problem first, or an empty list when everything loads. <paramref name="canLoad"/>
    /// tries one library by file name (the real probe is <see cref="NativeLibrary.TryLoad(string, out nint)"/>);
    /// <paramref name="runtimeFolder"/> is where libonnxruntime.so was loaded from, when known.
    /// </summary>
    public static IReadOnlyList<string> MissingPieces(IReadOnlyList<string> availableProviders, string? runtimeFolder, Func<string, bool> canLoad)
    {
        if (!BuildHasCuda(availableProviders))
            return [$"this ONNX Runtime is the CPU-only package (Microsoft.ML.OnnxRuntime): CUDA needs {GpuPackage} instead " +
                    $"(the CLI: `{GpuPublishCommand}`; a .NET app: reference {GpuPackage} in place of Microsoft.ML.OnnxRuntime)"];
        var missing = new List<string>();
        if (runtimeFolder is not null)
        {
            foreach (var provider in ProviderLibraries)
                if (!File.Exists(Path.Combine(runtimeFolder, provider)))
                    missing.Add($"{provider} (not beside {Path.Combine(runtimeFolder, "libonnxruntime.so")}; it comes with {GpuPackage})");
        }
        foreach (var (file, providedBy) in Requirements)
            if (!canLoad(file)) missing.Add($"{file} — {providedBy}");
        return missing;
    }

    /// <summary>The real probe: the dynamic loader finds and opens the library (then it is closed again).</summary>
    public static bool CanLoad(string file)
    {
        if (!NativeLibrary.TryLoad(file, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    /// <summary>The whole explanation for a CUDA provider that failed with <paramref name="runtimeMessage"/>.</summary>
    public static string Explain(string? runtimeMessage, IReadOnlyList<string> recentLog)
    {
        var text = new StringBuilder("The CUDA execution provider could not start");
        if (!string.IsNullOrWhiteSpace(runtimeMessage)) text.Append(": ").Append(runtimeMessage.Trim().TrimEnd('.'));
        text.Append('.');
        var missing = MissingPieces(RuntimeInfo.AvailableProviders, RuntimeInfo.NativeLibraryFolder, CanLoad);
        if (missing.Count > 0)
        {
            text.Append(" Missing: ").AppendJoin("; ", missing).Append('.');
            if (missing.Any(m => m.StartsWith("lib", StringComparison.Ordinal)))
                text.Append(" Install them or put their folder on LD_LIBRARY_PATH.");
        }
        else
        {
            text.Append(" Every CUDA 13 and cuDNN 9 library loads, so the GPU itself or its driver refused (check nvidia-smi, the device id, and that the driver is 580 or later).");
        }
        var cause = recentLog.LastOrDefault(line => line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("fail", StringComparison.OrdinalIgnoreCase));
        if (cause is not null) text.Append(" ONNX Runtime said: ").Append(cause.Trim());
        return text.ToString();
    }
}
