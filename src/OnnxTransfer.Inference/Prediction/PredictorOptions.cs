using OnnxTransfer.Features.Backbones;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>How a <see cref="Predictor"/> runs: device and fallback rule, threads, batch size, top-k.</summary>
public sealed record PredictorOptions
{
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>The CUDA device ordinal.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// With <see cref="DeviceKind.Cuda"/>: warn and run on CPU when CUDA cannot start (true), or refuse to start (false,
    /// the default: a job that was meant for a GPU should not silently take ten times longer).
    /// </summary>
    public bool CpuFallback { get; init; }

    /// <summary>ONNX Runtime threads inside one operator (0: one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Let ONNX Runtime's idle threads spin for work: lowest latency for an app doing one call after another; off for
    /// batch scoring, where decoding shares the cores.
    /// </summary>
    public bool AllowSpinning { get; init; } = true;

    /// <summary>Most images per model run; larger requests are split. Ignored when the model fixes its batch size.</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>Labels kept per prediction, most probable first (capped at the number of classes).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>
    /// Test-time augmentation: average the probabilities over these views of each image. Chained: the backbone runs on
    /// each view and the head's probabilities are averaged, as a fused model composed with the same views does in its
    /// graph. Fused: the model's own views (its metadata) always apply; naming others here is refused, since a fused
    /// graph cannot change them. Null: none for a chained predictor, the model's for a fused one.
    /// </summary>
    public Composition.TestTimeAugmentation? TestTimeAugmentation { get; init; }

    /// <summary>Accept a head trained on another backbone fingerprint (chained mode), with a warning.</summary>
    public bool AllowFingerprintMismatch { get; init; }

    /// <summary>Pad a short image batch to the batch size, dropping the padding rows (auto: on CUDA only), as extraction does.</summary>
    public SpeedSwitch FixedBatch { get; init; } = SpeedSwitch.Auto;

    /// <summary>Bind each batch's tensors to the session once (IOBinding; pinned host memory on CUDA; auto: on CUDA only).</summary>
    public SpeedSwitch IoBinding { get; init; } = SpeedSwitch.Auto;

    /// <summary>The CUDA provider's convolution algorithm search (null: exhaustive); CUDA only.</summary>
    public CudnnSearch? CudnnSearch { get; init; }

    /// <summary>Channels-last (NHWC) convolutions on CUDA (auto: at tf32 and fp16), as extraction runs them; on is refused on CPU.</summary>
    public SpeedSwitch PreferNhwc { get; init; } = SpeedSwitch.Auto;

    /// <summary>
    /// The float precision: fp32 (default), tf32 (CUDA only: tensor-core convolutions and matrix products) or fp16 (the
    /// model converted to float16 in memory, float32 inputs and outputs kept; fast on CUDA, slower than fp32 on CPU).
    /// </summary>
    public Features.Numerics.ComputePrecision Precision { get; init; } = Features.Numerics.ComputePrecision.Fp32;

    /// <summary>Receives warnings (CUDA fell back to CPU, allowed mismatches).</summary>
    public Action<string>? WarningSink { get; init; }

    /// <summary>
    /// Options that run where <paramref name="device"/> says, as a backbone would: device, fallback rule, threads,
    /// precision and the batch settings: the inverse of <see cref="PredictorSessions.ForBackbone"/>, the backbone options
    /// a predictor's sessions are made with (a setting both carry goes into both). Spinning, batch size, top-k and
    /// warnings keep their defaults; set them with <c>with</c>.
    /// </summary>
    public static PredictorOptions RunningAs(BackboneRunOptions device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new()
        {
            Device = device.Device,
            DeviceId = device.DeviceId,
            CpuFallback = !device.Strict,
            IntraOpThreads = device.IntraOpThreads,
            Precision = device.Precision,
            FixedBatch = device.FixedBatch,
            IoBinding = device.IoBinding,
            CudnnSearch = device.CudnnSearch,
            PreferNhwc = device.PreferNhwc,
        };
    }

    internal void Validate()
    {
        if (MaxBatchSize is < 1 or > 65536) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "The batch size must be 1 to 65536.");
        if (TopK < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be at least 1.");
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "Threads must be 0 (one per core) or more.");
        if (DeviceId < 0) throw new ArgumentOutOfRangeException(nameof(DeviceId), DeviceId, "The device id must be 0 or more.");
        PredictorSessions.ForBackbone(this).Validate(); // the backbones' refusals: tf32 on CPU, …
    }
}
