using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The chained form: the backbone (cut at its feature tensor, pooled and normalised as its spec says) and the head in
/// two sessions, the embeddings passed in memory. The same numbers as the cache + head path, by construction: the
/// backbone half is the extraction code itself.
/// </summary>
internal sealed class ChainedEngine : InferenceEngine
{
    private static readonly string[] OutputNames = [ModelMetadataKeys.ProbabilitiesOutput];
    private readonly ImageBackbone _backbone;
    private readonly InferenceSession _head;
    private readonly string[] _headInput;
    private readonly HeadModel _headModel;

    private ChainedEngine(ImageBackbone backbone, HeadModel head, InferenceSession headSession)
        : base(head.Labels, backbone.Decoder, backbone.Preprocessor, backbone.FixedBatchSize)
    {
        _backbone = backbone;
        _head = headSession;
        _headModel = head;
        _headInput = [head.InputName];
    }

    public ImageBackbone Backbone => _backbone;

    public HeadModel Head => _headModel;

    public override IReadOnlyList<string> ActiveProviders => _backbone.ActiveProviders;

    public override IReadOnlyList<string> Warnings => [.. _backbone.Warnings, .. _head.Warnings];

    public override string Identity => $"backbone fingerprint sha256:{_backbone.Fingerprint.Sha256} + head sha256:{_headModel.Sha256}";

    public override string Description => $"backbone '{_backbone.Spec.Name}' + head {_headModel.Source}";

    public static ChainedEngine Open(BackboneSpec spec, HeadModel head, PredictorOptions options)
    {
        var backbone = ImageBackbone.Load(spec, SessionSettings.ForBackbone(options));
        try
        {
            HeadCompatibility.Check(backbone.Fingerprint, backbone.Dimension, head, options.AllowFingerprintMismatch, options.WarningSink);
            var session = new InferenceSession(head.Model.ToBytes(), SessionSettings.For(options));
            return new ChainedEngine(backbone, head, session);
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
        _backbone.Embed(own.Backbone, count, own.Embeddings, cancellationToken);
        var dimension = _backbone.Dimension;
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

    private sealed class Batch : EngineBatch
    {
        public Batch(ImageBackbone backbone, int capacity, int classes) : base(capacity, backbone.ImageLength, classes)
        {
            Backbone = backbone.CreateBatch(capacity);
            Embeddings = new float[checked(capacity * backbone.Dimension)];
            FullFeatures = OrtValue.CreateTensor(Embeddings, [capacity, backbone.Dimension]);
            FullOutput = OrtValue.CreateTensor(Probabilities, [capacity, classes]);
        }

        public BackboneBatch Backbone { get; }

        public override float[] Input => Backbone.Input;

        /// <summary>The pooled, normalised embeddings the head reads, [capacity, D].</summary>
        public float[] Embeddings { get; }

        public OrtValue FullFeatures { get; }

        public OrtValue FullOutput { get; }

        public override void Dispose()
        {
            FullFeatures.Dispose();
            FullOutput.Dispose();
            Backbone.Dispose();
        }
    }
}
