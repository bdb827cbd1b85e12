using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>A fused model (backbone + head in one graph) in one session, fed as its embedded spec says.</summary>
internal sealed class FusedEngine : InferenceEngine
{
    private readonly ModelSession _session;
    private readonly string[] _inputNames;
    private static readonly string[] OutputNames = [ModelLayout.ProbabilitiesOutput];
    private readonly long[] _imageShape;

    private FusedEngine(FusedModelInfo info, ModelSession session, ImageInputSpec image, TensorLayout layout)
        : base(info.Labels, new ImageDecoder(image.ToDecoderOptions()), new ImagePreprocessor(image.ToPreprocessSettings(layout)), info.FixedBatchSize)
    {
        Info = info;
        _session = session;
        _inputNames = [info.InputName];
        _imageShape = Array.ConvertAll(Preprocessor.ImageShape, d => (long)d);
        _identity = new Lazy<string>(() => $"fused sha256:{FileHash.Sha256(info.Path)}");
    }

    public FusedModelInfo Info { get; }

    public override IReadOnlyList<string> ActiveProviders => _session.ActiveProviders;

    public override IReadOnlyList<string> Warnings => _session.Warnings;

    public override string Description => $"fused model {Info.Path}";

    public override string Identity => _identity.Value;

    private readonly Lazy<string> _identity;

    /// <summary>The engine for a fused model: this one for images, a <see cref="FusedTextEngine"/> for texts.</summary>
    public static InferenceEngine Open(string path, PredictorOptions options)
    {
        var session = ModelSession.Open(Path.GetFullPath(path), PredictorSessions.For(options));
        try
        {
            var info = FusedModelInfo.FromSession(path, session);
            if (info.IsText) return FusedTextEngine.Create(info, session);
            var image = info.Spec.RequireImage();
            return new FusedEngine(info, session, image, info.Spec.Layout);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public override EngineBatch CreateBatch(int capacity) => new Batch(capacity, Preprocessor.TensorLength, _imageShape, Labels.Count);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (Batch)batch;
        var rows = FixedBatchSize ?? count;
        if (rows == own.Capacity)
        {
            _session.Run(_inputNames, [own.FullInput], OutputNames, [own.FullOutput], cancellationToken);
            return;
        }
        using var input = TensorValues.Over(new Memory<float>(own.Input, 0, rows * own.ImageLength), Batch.Shape(rows, _imageShape));
        using var output = TensorValues.Over(new Memory<float>(own.Probabilities, 0, rows * Labels.Count), [rows, Labels.Count]);
        _session.Run(_inputNames, [input], OutputNames, [output], cancellationToken);
    }

    public override void Dispose() => _session.Dispose();

    private sealed class Batch : EngineBatch
    {
        public Batch(int capacity, int imageLength, long[] imageShape, int classes) : base(capacity, imageLength, classes)
        {
            Input = new float[checked(capacity * imageLength)];
            FullInput = TensorValues.Over<float>(Input, Shape(capacity, imageShape));
            FullOutput = TensorValues.Over<float>(Probabilities, [capacity, classes]);
        }

        public override float[] Input { get; }

        public OrtValue FullInput { get; }

        public OrtValue FullOutput { get; }

        public override void Dispose()
        {
            FullInput.Dispose();
            FullOutput.Dispose();
        }

        public static long[] Shape(int rows, long[] perImage)
        {
            var shape = new long[perImage.Length + 1];
            shape[0] = rows;
            perImage.CopyTo(shape, 1);
            return shape;
        }
    }
}

/// <summary>Session options for a predictor's sessions, from its options (one place for device, fallback, threads).</summary>
internal static class PredictorSessions
{
    public static SessionSettings For(PredictorOptions options) => new()
    {
        IntraOpThreads = options.IntraOpThreads,
        AllowSpinning = options.AllowSpinning,
        ExecutionProviders = SessionSettings.ProvidersFor(options.Device == DeviceKind.Cuda, options.DeviceId),
        ProviderFallback = options.CpuFallback ? ProviderFallback.FallbackToCpu : ProviderFallback.Strict,
        WarningSink = options.WarningSink,
    };

    public static BackboneRunOptions ForBackbone(PredictorOptions options) => new()
    {
        Device = options.Device,
        DeviceId = options.DeviceId,
        Strict = !options.CpuFallback,
        IntraOpThreads = options.IntraOpThreads,
        AllowSpinning = options.AllowSpinning,
        WarningSink = options.WarningSink,
    };
}
