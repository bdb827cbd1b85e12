using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The chained text form: the Features <see cref="TextBackbone"/> (tokens → encoder → pooling → L2, the extraction
/// code itself) and the head in a second session, the embeddings passed in memory. Each batch is padded to its longest
/// text.
/// </summary>
internal sealed class ChainedTextEngine : TextEngine
{
    private readonly TextBackbone _backbone;
    private readonly ChainedHead _head;

    private ChainedTextEngine(TextBackbone backbone, ChainedHead head)
        : base(head.Model.Labels, backbone.FixedBatchSize, backbone.Encoder)
    {
        _backbone = backbone;
        _head = head;
    }

    public override IReadOnlyList<string> ActiveProviders => _backbone.ActiveProviders;

    public override IReadOnlyList<string> Warnings => [.. _backbone.Warnings, .. _head.Warnings];

    public override string Identity => _head.Identity(_backbone.Fingerprint);

    public override string Description => $"text backbone '{_backbone.Spec.Name}' + head {_head.Model.Source}";

    public static ChainedTextEngine Open(BackboneSpec spec, HeadModel head, PredictorOptions options)
    {
        var backbone = TextBackbone.Load(spec, PredictorSessions.ForBackbone(options));
        try
        {
            return new ChainedTextEngine(backbone, ChainedHead.Open(backbone.Fingerprint, backbone.Dimension, head, options));
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
        _backbone.Embed(own.Backbone, RowsOf(own, count), own.Positions.AsSpan(0, count), own.Head.Embeddings, cancellationToken: cancellationToken);
        _head.Run(own.Head, count, cancellationToken);
    }

    public override void Dispose()
    {
        _head.Dispose();
        _backbone.Dispose();
    }

    private sealed class Batch : TextEngineBatch
    {
        public Batch(TextBackbone backbone, ChainedHead head, int capacity, int classes) : base(capacity, classes)
        {
            Backbone = backbone.CreateBatch(capacity);
            Head = head.CreateBuffers(capacity, Probabilities);
        }

        public TextBatch Backbone { get; }

        public ChainedHead.Buffers Head { get; }

        public override void Dispose() => Head.Dispose();
    }
}
