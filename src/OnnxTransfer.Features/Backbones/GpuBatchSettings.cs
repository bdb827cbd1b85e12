namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// A setting that pays on a GPU and not on a CPU, so its default follows the device: fixed batch shapes (a short last
/// batch padded to the capacity, its padding rows run and never read: on CUDA a new shape costs a fresh cuDNN algorithm
/// search and new workspace) and IOBinding with pinned host buffers (copies to and from the GPU as DMA transfers).
/// </summary>
public enum SpeedSwitch
{
    /// <summary>On for CUDA, off for CPU (where a short batch is cheaper run short, and there is nothing to copy to).</summary>
    Auto,
    On,
    Off,
}

/// <summary>
/// How the CUDA provider picks convolution algorithms (its <c>cudnn_conv_algo_search</c> option): an exhaustive
/// benchmark per new input shape (fastest kernels, paid once per shape: pair it with fixed batches), cuDNN's heuristic
/// (no benchmark), or cuDNN's default algorithm.
/// </summary>
public enum CudnnSearch
{
    Exhaustive,
    Heuristic,
    Default,
}

/// <summary>Names of <see cref="SpeedSwitch"/> and <see cref="CudnnSearch"/> as the CLI and the run log write them.</summary>
public static class GpuBatchNames
{
    public static string Of(SpeedSwitch mode) => mode switch
    {
        SpeedSwitch.On => "on",
        SpeedSwitch.Off => "off",
        _ => "auto",
    };

    /// <summary>Parses "auto", "on" or "off" (case-insensitive); null for anything else.</summary>
    public static SpeedSwitch? ParseSwitch(string? text) => text?.ToLowerInvariant() switch
    {
        "auto" => SpeedSwitch.Auto,
        "on" => SpeedSwitch.On,
        "off" => SpeedSwitch.Off,
        _ => null,
    };

    public static string Of(CudnnSearch search) => search switch
    {
        CudnnSearch.Heuristic => "heuristic",
        CudnnSearch.Default => "default",
        _ => "exhaustive",
    };

    /// <summary>Parses "exhaustive", "heuristic" or "default" (case-insensitive); null for anything else.</summary>
    public static CudnnSearch? ParseCudnnSearch(string? text) => text?.ToLowerInvariant() switch
    {
        "exhaustive" => CudnnSearch.Exhaustive,
        "heuristic" => CudnnSearch.Heuristic,
        "default" => CudnnSearch.Default,
        _ => null,
    };

    /// <summary>ONNX Runtime's value for its CUDA provider option <c>cudnn_conv_algo_search</c>.</summary>
    public static string ProviderValue(CudnnSearch search) => search switch
    {
        CudnnSearch.Heuristic => "HEURISTIC",
        CudnnSearch.Default => "DEFAULT",
        _ => "EXHAUSTIVE",
    };
}
