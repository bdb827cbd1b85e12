using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Formats;

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
    /// on CPU (false). A fallback keeps the precision asked (fp16 on CPU is fp16 numerics, recorded as such).
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

    /// <summary>
    /// The float precision asked: fp32 (default); on CUDA tf32 (tensor-core convolutions and matrix products); fp16 (the
    /// model converted to float16 in memory, float32 inputs and outputs kept: for CUDA's tensor cores, and on CPU, slower
    /// than fp32, to check a float16 model). It is part of the embeddings' numerics (<see cref="EmbeddingNumerics"/>), so
    /// a cache made with one refuses parts of another.
    /// </summary>
    public ComputePrecision Precision { get; init; } = ComputePrecision.Fp32;

    /// <summary>
    /// Let the CUDA provider run convolutions and the operators around them channels-last (NHWC: its <c>prefer_nhwc</c>
    /// option), the layout tensor cores work in, so cuDNN does not transpose every convolution's input and output (auto:
    /// on CUDA at tf32 and fp16, the tensor-core precisions; fp32 keeps the model's NCHW). Asking for it on CPU is refused.
    /// </summary>
    public SpeedSwitch PreferNhwc { get; init; } = SpeedSwitch.Auto;

    /// <summary>Pad the short last batch to the batch capacity (auto: on CUDA only); padding rows are never read.</summary>
    public SpeedSwitch FixedBatch { get; init; } = SpeedSwitch.Auto;

    /// <summary>
    /// The CUDA provider's convolution algorithm search; null: exhaustive on CUDA (paid once per shape, and with fixed
    /// batches there is one shape). Setting it on CPU is refused: the CPU provider has no such choice.
    /// </summary>
    public CudnnSearch? CudnnSearch { get; init; }

    /// <summary>
    /// Bind each batch's tensors to the session once (ONNX Runtime's IOBinding) and, on CUDA, keep them in pinned host
    /// memory reused across batches (auto: on CUDA only). The same numbers either way; on CPU "on" only changes how the
    /// run is called.
    /// </summary>
    public SpeedSwitch IoBinding { get; init; } = SpeedSwitch.Auto;

    /// <summary>Whether short batches are padded, <see cref="FixedBatch"/> resolved for <see cref="Device"/>.</summary>
    public bool PadsShortBatches => Resolve(FixedBatch);

    /// <summary>Whether batches run through IOBinding (pinned buffers on CUDA), <see cref="IoBinding"/> resolved for <see cref="Device"/>.</summary>
    public bool BindsBatches => Resolve(IoBinding);

    /// <summary>Whether the CUDA provider is asked for channels-last convolutions, <see cref="PreferNhwc"/> resolved.</summary>
    public bool UsesNhwc => Device == DeviceKind.Cuda && (PreferNhwc == SpeedSwitch.On ||
        (PreferNhwc == SpeedSwitch.Auto && Precision is ComputePrecision.Tf32 or ComputePrecision.Fp16));

    private bool Resolve(SpeedSwitch setting) => setting == SpeedSwitch.On || (setting == SpeedSwitch.Auto && Device == DeviceKind.Cuda);

    /// <summary>The search the CUDA provider is given (exhaustive unless asked otherwise).</summary>
    public CudnnSearch EffectiveCudnnSearch => CudnnSearch ?? Backbones.CudnnSearch.Exhaustive;

    /// <summary>
    /// The CUDA provider's options for these settings: TF32 tensor-core math only when tf32 is asked, so that fp32 means
    /// fp32 (ONNX Runtime's own default lets cuBLAS/cuDNN use TF32), the convolution algorithm search, and the layout
    /// (<see cref="UsesNhwc"/>). fp16 is the graph itself (<see cref="Numerics.ModelPrecision"/>); what float32 remains
    /// in it stays float32.
    /// </summary>
    public Dictionary<string, string> CudaProviderOptions() => new()
    {
        ["use_tf32"] = Precision == ComputePrecision.Tf32 ? "1" : "0",
        ["cudnn_conv_algo_search"] = GpuBatchNames.ProviderValue(EffectiveCudnnSearch),
        ["prefer_nhwc"] = UsesNhwc ? "1" : "0",
    };

    /// <summary>Refuses settings that cannot run, before any model is loaded (the message names the fix; no parameter suffix).</summary>
    /// <exception cref="ArgumentException">tf32, a cuDNN search or channels-last asked on CPU, or a negative device id or thread count.</exception>
    public void Validate()
    {
        if (Device == DeviceKind.Cpu && Precision == ComputePrecision.Tf32)
            throw new ArgumentException(
                "Precision tf32 needs a GPU: TF32 is a mode of NVIDIA tensor cores, which the CPU provider does not have. " +
                "Drop --precision (fp32 is the default) or run with --device cuda.");
        if (Device == DeviceKind.Cpu && CudnnSearch is { } search)
            throw new ArgumentException(
                $"cuDNN algorithm search ({GpuBatchNames.Of(search)}) applies to CUDA only: the CPU provider has no such choice. " +
                "Drop --cudnn-search or run with --device cuda.");
        if (Device == DeviceKind.Cpu && PreferNhwc == SpeedSwitch.On)
            throw new ArgumentException(
                "Channels-last convolutions (--prefer-nhwc on) are a CUDA provider setting: the CPU provider picks its own layout. " +
                "Drop --prefer-nhwc or run with --device cuda.");
        if (DeviceId < 0) throw new ArgumentException($"The CUDA device id must be 0 or more (got {DeviceId}).");
        if (IntraOpThreads < 0) throw new ArgumentException($"The thread count must be 0 (one per core) or more (got {IntraOpThreads}).");
    }
}
