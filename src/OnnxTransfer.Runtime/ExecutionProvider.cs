namespace OnnxTransfer.Runtime;

/// <summary>An ONNX Runtime execution provider a session may use, with its settings.</summary>
public abstract record ExecutionProvider
{
    private protected ExecutionProvider() { }

    /// <summary>ONNX Runtime's name for the provider, as <see cref="ModelSession.ActiveProviders"/> reports it.</summary>
    public abstract string Name { get; }

    /// <summary>The CPU provider: always present, and where nodes other providers cannot run end up.</summary>
    public static CpuExecutionProvider Cpu { get; } = new();

    /// <summary>The CUDA provider on <paramref name="deviceId"/>, with optional CUDA provider options
    /// (e.g. "gpu_mem_limit", "cudnn_conv_algo_search", "use_tf32").</summary>
    public static CudaExecutionProvider Cuda(int deviceId = 0, IReadOnlyDictionary<string, string>? options = null) =>
        new() { DeviceId = deviceId, Options = options ?? new Dictionary<string, string>() };

    internal virtual void Validate() { }
}

/// <summary>ONNX Runtime's default CPU provider.</summary>
public sealed record CpuExecutionProvider : ExecutionProvider
{
    public const string ProviderName = "CPUExecutionProvider";

    public override string Name => ProviderName;
}

/// <summary>
/// NVIDIA CUDA. Needs the <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> package instead of the CPU one (the CLI: publish
/// with <c>-p:OnnxTransferGpu=true</c>), CUDA 13 with cuDNN 9 and an NVIDIA driver of version 580 or later;
/// <see cref="CudaDiagnostics"/> names whatever of that is missing.
/// </summary>
public sealed record CudaExecutionProvider : ExecutionProvider
{
    public const string ProviderName = "CUDAExecutionProvider";

    public override string Name => ProviderName;

    public int DeviceId { get; init; }

    /// <summary>CUDA provider options by ONNX Runtime's key names; "device_id" comes from <see cref="DeviceId"/>.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    internal override void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(DeviceId, nameof(DeviceId));
        ArgumentNullException.ThrowIfNull(Options, nameof(Options));
        if (Options.ContainsKey("device_id"))
            throw new ArgumentException("Set the CUDA device with CudaExecutionProvider.DeviceId, not the \"device_id\" option.", nameof(Options));
    }
}
