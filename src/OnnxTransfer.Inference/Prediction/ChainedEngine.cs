using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The chained form: the backbone (cut at its feature tensor, pooled and normalised as its spec says) and the head in
/// two sessions, the embeddings passed in memory. The same numbers as the cache + head path, by construction: the
/// backbone half is the extraction code itself.
/// </summary>
internal sealed class ChainedEngine : InferenceEngine
{
    private readonly ImageBackbone _backbone;
    private readonly ChainedHead _head;

    private ChainedEngine(ImageBackbone backbone, ChainedHead head)
        : base(head.Model.Labels, backbone.Decoder, backbone.Preprocessor, backbone.FixedBatchSize)
    {
        _backbone = backbone;
        _head = head;
    }

    public ImageBackbone Backbone => _backbone;

    public HeadModel Head => _head.Model;

    public override IReadOnlyList<string> ActiveProviders => _backbone.ActiveProviders;

    public override IReadOnlyList<string> Warnings => [.. _backbone.Warnings, .. _head.Warnings];

    public override string Identity => _head.Identity(_backbone.Fingerprint);

    public override string Description => $"backbone '{_backbone.Spec.Name}' + head {_head.Model.Source}";

    public static ChainedEngine Open(BackboneSpec spec, HeadModel head, PredictorOptions options)
    {
        var backbone = ImageBackbone.Load(spec, PredictorSessions.ForBackbone(options));
        try
        {
            return new ChainedEngine(backbone, ChainedHead.Open(backbone.Fingerprint, backbone.Dimension, head, options));
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    public override EngineBatch CreateBatch(int capacity) => new Batch(_backbone, _head, capacity, Labels.Count);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (Batch)batch;
        _backbone.Embed(own.Backbone, count, own.Head.Embeddings, cancellationToken);
        _head.Run(own.Head, count, cancellationToken);
    }

    public override void Dispose()
    {
        _head.Dispose();
        _backbone.Dispose();
    }

    private sealed class Batch : EngineBatch
    {
        public Batch(ImageBackbone backbone, ChainedHead head, int capacity, int classes) : base(capacity, backbone.ImageLength, classes)
        {
            Backbone = backbone.CreateBatch(capacity);
            Head = head.CreateBuffers(capacity, Probabilities);
        }

        public BackboneBatch Backbone { get; }

        public ChainedHead.Buffers Head { get; }

        public override float[] Input => Backbone.Input;

        public override void Dispose()
        {
            Head.Dispose();
            Backbone.Dispose();
        }
    }
}
