namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// Whether a short last batch is padded to the batch capacity (its padding rows are run and never read), so the model
/// only ever sees one batch shape: on CUDA a new shape costs a fresh cuDNN algorithm search and new workspace.
/// </summary>
public enum FixedBatchMode
{
    /// <summary>On for CUDA, off for CPU (where a short batch is cheaper run short).</summary>
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

/// <summary>Names of <see cref="FixedBatchMode"/> and <see cref="CudnnSearch"/> as the CLI and the run log write them.</summary>
public static class GpuBatchNames
{
    public static string Of(FixedBatchMode mode) => mode switch
    {
        FixedBatchMode.On => "on",
        FixedBatchMode.Off => "off",
        _ => "auto",
    };

    /// <summary>Parses "auto", "on" or "off" (case-insensitive); null for anything else.</summary>
    public static FixedBatchMode? ParseFixedBatch(string? text) => text?.ToLowerInvariant() switch
    {
        "auto" => FixedBatchMode.Auto,
        "on" => FixedBatchMode.On,
        "off" => FixedBatchMode.Off,
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
