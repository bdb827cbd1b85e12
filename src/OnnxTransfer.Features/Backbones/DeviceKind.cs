namespace OnnxTransfer.Features.Backbones;

/// <summary>Where the backbone runs.</summary>
public enum DeviceKind
{
    Cpu,
    /// <summary>An NVIDIA GPU through ONNX Runtime's CUDA execution provider.</summary>
    Cuda,
}

/// <summary>How a backbone session is created: device, fallback rule, threads.</summary>
public sealed record BackboneRunOptions
{
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>The CUDA device ordinal.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// With <see cref="DeviceKind.Cuda"/>: refuse to start when the CUDA provider cannot be used (true), or warn and run
    /// on CPU (false).
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>ONNX Runtime threads inside one operator (0: one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Let ONNX Runtime's idle threads spin waiting for work. Off by default for extraction: decoding runs on the same
    /// cores, and a spinning inference thread takes CPU time from the decoders.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>Receives warnings (e.g. a CUDA fallback).</summary>
    public Action<string>? WarningSink { get; init; }
}
