using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// A fused model (backbone + head in one graph, image or text) in one session, fed by the encoder its embedded spec
/// says: pixels decoded and preprocessed as the backbone did, or tokens from the tokenizer in its own metadata.
/// </summary>
internal sealed class FusedEngine : InferenceEngine
{
    private readonly ModelSession _session;
    private readonly Lazy<string> _identity;
    private readonly InputEncoder _encoder;

    private FusedEngine(FusedModelInfo info, ModelSession session, InputEncoder encoder)
        : base(info.Labels, encoder.Reader, info.FixedBatchSize)
    {
        _encoder = encoder;
        Info = info;
        _session = session;
        _identity = new Lazy<string>(() => $"fused sha256:{FileHash.Sha256(info.Path)}");
        Ood = info.Ood;
    }

    public FusedModelInfo Info { get; }

    public override IReadOnlyList<string> ActiveProviders => _session.ActiveProviders;

    public override IReadOnlyList<string> Warnings => _session.Warnings;

    public override string Description => (IsText ? $"fused text model {Info.Path}" : $"fused model {Info.Path}") +
                                          (Info.TestTimeAugmentation.IsActive ? $" ({Info.TestTimeAugmentation})" : "");

    public override string Identity => _identity.Value;

    /// <summary>The engine for a fused model, image or text.</summary>
    public static FusedEngine Open(string path, PredictorOptions options)
    {
        var session = options.Precision == ComputePrecision.Fp16
            ? ModelSession.Open(InFloat16(path, options), PredictorSessions.For(options))
            : ModelSession.Open(Path.GetFullPath(path), PredictorSessions.For(options));
        try
        {
            var info = FusedModelInfo.FromSession(path, session);
            if (options.TestTimeAugmentation is { } asked && asked.Names != info.TestTimeAugmentation.Names)
                throw new InferenceException(info.TestTimeAugmentation.IsActive
                    ? $"The fused model '{path}' averages the views {info.TestTimeAugmentation.Names} in its graph; a fused model cannot change them: drop --tta, or compose it again with --tta {asked.OptionValue}."
                    : $"The fused model '{path}' was composed without test-time views: compose it again with --tta {asked.OptionValue}, or run it chained (--backbone SPEC --head HEAD --tta {asked.OptionValue}).");
            InputEncoder encoder = info.IsText ? TextInputEncoder.Of(info, session) : ImageInputEncoder.Of(info, session, PredictorSessions.ForBackbone(options));
            return new FusedEngine(info, session, encoder);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The fused model converted to float16 in memory, float32 inputs and outputs kept: backbone and head both compute in
    /// half precision. Refused, naming the fix, where the graph cannot be.
    /// </summary>
    private static byte[] InFloat16(string path, PredictorOptions options)
    {
        OnnxModel model;
        try { model = OnnxModel.Load(path); }
        catch (OnnxModelException e) { throw new InferenceException($"The fused model '{path}': {e.Message}", e); }
        if (ModelPrecision.Refusal(model, options.Precision) is { } refusal) throw new InferenceException($"The fused model '{path}': {refusal}");
        try
        {
            if (ModelPrecision.Apply(model, options.Precision) is { } note) options.WarningSink?.Invoke(note);
        }
        catch (OnnxModelException e)
        {
            throw new InferenceException($"The fused model '{path}' cannot run in fp16: {e.Message}", e);
        }
        return model.ToBytes();
    }

    public override EngineBatch CreateBatch(int capacity) => _encoder.CreateBatch(capacity, Labels.Count);

    private protected override InputFailure? PrepareInput(InputItem item, EngineBatch batch, int position) => _encoder.Prepare(item, batch, position);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken) =>
        _encoder.Run(_session, batch, count, cancellationToken);

    public override void Dispose() => _session.Dispose();
}

/// <summary>Session options for a predictor's sessions, from its options (one place for device, fallback, threads).</summary>
internal static class PredictorSessions
{
    public static SessionSettings For(PredictorOptions options) => new()
    {
        IntraOpThreads = options.IntraOpThreads,
        AllowSpinning = options.AllowSpinning,
        ExecutionProviders = options.Device == DeviceKind.Cuda
            ? [ExecutionProvider.Cuda(options.DeviceId, ForBackbone(options).CudaProviderOptions()), ExecutionProvider.Cpu]
            : [ExecutionProvider.Cpu],
        ProviderFallback = options.CpuFallback ? ProviderFallback.FallbackToCpu : ProviderFallback.Strict,
        WarningSink = options.WarningSink,
    };

    /// <summary>The backbone options a predictor runs with; <see cref="PredictorOptions.RunningAs"/> is its inverse (a setting both carry goes into both).</summary>
    public static BackboneRunOptions ForBackbone(PredictorOptions options) => new()
    {
        Device = options.Device,
        DeviceId = options.DeviceId,
        Strict = !options.CpuFallback,
        IntraOpThreads = options.IntraOpThreads,
        AllowSpinning = options.AllowSpinning,
        FixedBatch = options.FixedBatch,
        IoBinding = options.IoBinding,
        CudnnSearch = options.CudnnSearch,
        PreferNhwc = options.PreferNhwc,
        Precision = options.Precision,
        WarningSink = options.WarningSink,
    };
}
