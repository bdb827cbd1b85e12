using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The chained text form: the Features <see cref="TextBackbone"/> (tokens → encoder → pooling → L2, the extraction
/// code itself) and the head in a second session, the embeddings passed in memory. Each batch is padded to its longest
/// text.
/// </summary>
internal sealed class ChainedTextEngine : TextEngine
{
    private static readonly string[] OutputNames = [ModelMetadataKeys.ProbabilitiesOutput];
    private readonly TextBackbone _backbone;
    private readonly InferenceSession _head;
    private readonly string[] _headInput;
    private readonly HeadModel _headModel;

    private ChainedTextEngine(TextBackbone backbone, HeadModel head, InferenceSession headSession)
        : base(head.Labels, backbone.FixedBatchSize, backbone.Encoder)
    {
        _backbone = backbone;
        _head = headSession;
        _headModel = head;
        _headInput = [head.InputName];
    }

    public override IReadOnlyList<string> ActiveProviders => _backbone.ActiveProviders;

    public override IReadOnlyList<string> Warnings => [.. _backbone.Warnings, .. _head.Warnings];

    public override string Identity => $"backbone fingerprint sha256:{_backbone.Fingerprint.Sha256} + head sha256:{_headModel.Sha256}";

    public override string Description => $"text backbone '{_backbone.Spec.Name}' + head {_headModel.Source}";

    public static ChainedTextEngine Open(BackboneSpec spec, HeadModel head, PredictorOptions options)
    {
        var backbone = TextBackbone.Load(spec, SessionSettings.ForBackbone(options));
        try
        {
            HeadCompatibility.Check(backbone.Fingerprint, backbone.Dimension, head, options.AllowFingerprintMismatch, options.WarningSink);
            var session = new InferenceSession(head.Model.ToBytes(), SessionSettings.For(options));
            return new ChainedTextEngine(backbone, head, session);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    public override EngineBatch CreateBatch(int capacity) => new Batch(_backbone, capacity, Labels.Count);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (Batch)batch;
        var dimension = _backbone.Dimension;
        _backbone.Embed(own.Backbone, RowsOf(own, count), own.Positions.AsSpan(0, count), own.Embeddings, cancellationToken: cancellationToken);
        if (count == own.Capacity)
        {
            _head.Run(_headInput, [own.FullFeatures], OutputNames, [own.FullOutput], cancellationToken: cancellationToken);
            return;
        }
        using var features = OrtValue.CreateTensor(new Memory<float>(own.Embeddings, 0, count * dimension), [count, dimension]);
        using var output = OrtValue.CreateTensor(new Memory<float>(own.Probabilities, 0, count * Labels.Count), [count, Labels.Count]);
        _head.Run(_headInput, [features], OutputNames, [output], cancellationToken: cancellationToken);
    }

    public override void Dispose()
    {
        _head.Dispose();
        _backbone.Dispose();
    }

    private sealed class Batch : TextEngineBatch
    {
        public Batch(TextBackbone backbone, int capacity, int classes) : base(capacity, classes)
        {
            Backbone = backbone.CreateBatch(capacity);
            Embeddings = new float[checked(capacity * backbone.Dimension)];
            FullFeatures = OrtValue.CreateTensor(Embeddings, [capacity, backbone.Dimension]);
            FullOutput = OrtValue.CreateTensor(Probabilities, [capacity, classes]);
        }

        public TextBatch Backbone { get; }

        /// <summary>The pooled, normalised embeddings the head reads, [capacity, D].</summary>
        public float[] Embeddings { get; }

        public OrtValue FullFeatures { get; }

        public OrtValue FullOutput { get; }

        public override void Dispose()
        {
            FullFeatures.Dispose();
            FullOutput.Dispose();
        }
    }
}
