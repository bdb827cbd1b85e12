using System.Text;

namespace OnnxTransfer.Runtime.Native;

/// <summary>Explains why an execution provider could not start, in terms of files and settings a user can fix.</summary>
internal static class ProviderDiagnostics
{
    /// <summary>The libraries ORT loads, from the folder of libonnxruntime, to run CUDA.</summary>
    public static readonly string[] CudaProviderLibraries = ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"];

    /// <summary>The CUDA provider libraries absent beside the loaded ONNX Runtime (all of them when its folder is unknown).</summary>
    public static IReadOnlyList<string> MissingCudaProviderLibraries(OrtLibrary library)
    {
        var folder = Path.GetDirectoryName(library.LoadedPath);
        if (string.IsNullOrEmpty(folder)) return CudaProviderLibraries;
        return Array.FindAll(CudaProviderLibraries, name => !File.Exists(Path.Combine(folder, name)));
    }

    /// <summary>True when an ORT error at session creation reads as the CUDA stack failing rather than the model.</summary>
    public static bool LooksLikeCudaFailure(string nativeMessage) =>
        nativeMessage.Contains("CUDA", StringComparison.OrdinalIgnoreCase) ||
        nativeMessage.Contains("cudnn", StringComparison.OrdinalIgnoreCase) ||
        nativeMessage.Contains("cublas", StringComparison.OrdinalIgnoreCase);

    public static string CudaUnavailable(OrtLibrary library, string nativeMessage)
    {
        var text = new StringBuilder();
        text.Append("The CUDA execution provider could not be started: ").Append(nativeMessage.TrimEnd()).Append(' ');
        var missing = MissingCudaProviderLibraries(library);
        if (missing.Count > 0)
        {
            text.Append("Missing beside ").Append(library.LoadedPath).Append(": ").AppendJoin(", ", missing)
                .Append(" (the CPU-only ONNX Runtime that tools/setup.sh installs has no CUDA provider). ");
        }
        else
        {
            text.Append("The provider libraries are present beside ").Append(library.LoadedPath)
                .Append(", so CUDA 12, cuDNN 9 or the GPU itself is missing: check nvidia-smi, and that libcudart.so.12, ")
                .Append("libcublas.so.12 and libcudnn.so.9 can be found (LD_LIBRARY_PATH). ");
        }
        text.Append("CUDA needs the official GPU build of ONNX Runtime ").Append(library.Version)
            .Append(" (onnxruntime-linux-x64-gpu-").Append(library.Version).Append(".tgz) with CUDA 12 and cuDNN 9 installed: ")
            .Append("unpack it and point ").Append(OrtLibrary.LibraryPathVariable)
            .Append(" (CLI: --ort-library) at its lib/libonnxruntime.so.1. Or choose ProviderFallback.FallbackToCpu to run on CPU.");
        return text.ToString();
    }
}
