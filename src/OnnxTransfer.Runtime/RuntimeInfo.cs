namespace OnnxTransfer.Runtime;

/// <summary>What the process's ONNX Runtime is: version, the providers it was built with, where it was loaded from.</summary>
public static class RuntimeInfo
{
    /// <summary>ONNX Runtime's version, e.g. "1.32.0".</summary>
    public static string Version => RuntimeLog.Environment.GetVersionString();

    /// <summary>The execution providers this build carries (the GPU package adds CUDAExecutionProvider).</summary>
    public static IReadOnlyList<string> AvailableProviders => RuntimeLog.Environment.GetAvailableProviders();

    /// <summary>The libonnxruntime.so this process loaded (from /proc/self/maps), or null where that cannot be read.</summary>
    public static string? NativeLibraryPath
    {
        get
        {
            _ = RuntimeLog.Environment; // the library is loaded by then
            try
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    var at = line.IndexOf('/');
                    if (at >= 0 && line.AsSpan(at).EndsWith("/libonnxruntime.so", StringComparison.Ordinal) ||
                        at >= 0 && line.AsSpan(at).Contains("/libonnxruntime.so.", StringComparison.Ordinal))
                        return line[at..];
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return null;
        }
    }

    /// <summary>The folder of <see cref="NativeLibraryPath"/> (where the CUDA provider libraries must be too).</summary>
    public static string? NativeLibraryFolder => NativeLibraryPath is { } path ? Path.GetDirectoryName(path) : null;
}
