using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The chained form, image or text: the Features backbone (cut at its feature tensor, pooled and normalised as its
/// spec says) and the head in two sessions, the embeddings passed in memory. The same numbers as the cache + head path,
/// by construction: the backbone half is the extraction code itself.
/// </summary>
internal sealed class ChainedEngine : InferenceEngine
{
    private readonly Backbone _backbone;
    private readonly ChainedHead _head;

    private ChainedEngine(Backbone backbone, ChainedHead head)
        : base(head.Model.Labels, InputEncoder.Of(backbone), backbone.FixedBatchSize)
    {
        _backbone = backbone;
        _head = head;
    }

    public HeadModel Head => _head.Model;

    public override IReadOnlyList<string> ActiveProviders => _backbone.ActiveProviders;

    public override IReadOnlyList<string> Warnings => [.. _backbone.Warnings, .. _head.Warnings];

    public override string Identity => _head.Identity(_backbone.Fingerprint);

    public override string Description => $"{(IsText ? "text " : "")}backbone '{_backbone.Spec.Name}' + head {_head.Model.Source}";

    public static ChainedEngine Open(BackboneSpec spec, HeadModel head, PredictorOptions options)
    {
        var backbone = Backbone.Load(spec, PredictorSessions.ForBackbone(options));
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

    public override EngineBatch CreateBatch(int capacity) => Encoder.CreateChainedBatch(_head, capacity, Labels.Count);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        Encoder.Embed(batch, count, cancellationToken);
        _head.Run(((IChainedBatch)batch).Head, count, cancellationToken);
    }

    public override void Dispose()
    {
        _head.Dispose();
        _backbone.Dispose();
    }
}
