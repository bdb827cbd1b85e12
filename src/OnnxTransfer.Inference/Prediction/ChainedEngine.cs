using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Text;
using OnnxTransfer.Inference.Heads;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// The chained form, image or text: the Features backbone (cut at its feature tensor, pooled and normalised as its
/// spec says) and the head in two sessions, the embeddings passed in memory. The same numbers as the cache + head path,
/// by construction: the backbone half is the extraction code itself — the backbone's own batch, preparation and
/// <see cref="Backbone.Embed"/>, whatever its kind.
/// </summary>
internal sealed class ChainedEngine : InferenceEngine
{
    private readonly Backbone _backbone;
    private readonly ChainedHead _head;
    private readonly ChainedViews? _views;

    private ChainedEngine(Backbone backbone, ChainedHead head, ChainedViews? views)
        : base(head.Model.Labels, backbone.Reader, backbone.FixedBatchSize)
    {
        _backbone = backbone;
        _head = head;
        _views = views;
        Ood = head.Model.Ood;
    }

    public HeadModel Head => _head.Model;

    public override IReadOnlyList<string> ActiveProviders => _backbone.ActiveProviders;

    public override IReadOnlyList<string> Warnings => [.. _backbone.Warnings, .. _head.Warnings];

    public override string Identity => _head.Identity(_backbone.Fingerprint) + (_views is null ? "" : $" + tta {_views.Views.Names}");

    public override string Description => $"{(IsText ? "text " : "")}backbone '{_backbone.Spec.Name}' + head {_head.Model.Source}" +
                                          (_views is null ? "" : $" ({_views.Views})");

    public static ChainedEngine Open(BackboneSpec spec, HeadModel head, PredictorOptions options)
    {
        var backbone = Backbone.Load(spec, PredictorSessions.ForBackbone(options));
        try
        {
            var views = ChainedViews.For(backbone, options.TestTimeAugmentation);
            return new ChainedEngine(backbone, ChainedHead.Open(backbone.Fingerprint, backbone.Dimension, head, options), views);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    public override EngineBatch CreateBatch(int capacity) =>
        new ChainedBatch(_backbone.CreateBatch(capacity), _head, Labels.Count, _views?.CreateScratch(capacity, Labels.Count));

    private protected override InputFailure? PrepareInput(InputItem item, EngineBatch batch, int position) =>
        _backbone.Prepare(item, ((ChainedBatch)batch).Backbone, position);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (ChainedBatch)batch;
        _backbone.Embed(own.Backbone, count, own.Head.Embeddings, cancellationToken);
        _head.Run(own.Head, count, cancellationToken);
        if (_views is null) return;
        // The OOD score stays the original view's, as in the fused graph: the threshold was set on original inputs.
        var originalOod = own.Views!.OriginalOodScores.AsSpan(0, count);
        if (Ood is not null) own.OodScores.AsSpan(0, count).CopyTo(originalOod);
        _views.Average(own.Input, count, own.Probabilities.AsSpan(0, count * Labels.Count), own.Views, () =>
        {
            _backbone.Embed(own.Backbone, count, own.Head.Embeddings, cancellationToken);
            _head.Run(own.Head, count, cancellationToken);
        });
        if (Ood is not null) originalOod.CopyTo(own.OodScores);
    }

    public override void Dispose()
    {
        _head.Dispose();
        _backbone.Dispose();
    }

    /// <summary>
    /// A chained batch: the backbone's batch (its image tensor or its tokens are what the predictor's own entry points
    /// fill) and the head's buffers.
    /// </summary>
    private sealed class ChainedBatch : EngineBatch
    {
        private readonly ImageBatch? _images;
        private readonly TextBatch? _texts;

        public ChainedBatch(BackboneBatch backbone, ChainedHead head, int classes, ChainedViews.Scratch? views) : base(backbone.Capacity, classes)
        {
            Backbone = backbone;
            Views = views;
            Head = head.CreateBuffers(backbone.Capacity, Probabilities, OodScores);
            _images = backbone as ImageBatch;
            _texts = backbone as TextBatch;
        }

        public BackboneBatch Backbone { get; }

        /// <summary>The test-time views' buffers; null without views.</summary>
        public ChainedViews.Scratch? Views { get; }

        public ChainedHead.Buffers Head { get; }

        public override int ImageLength => _images?.ImageLength ?? 0;

        public override Span<float> Input => _images is null ? default : _images.Input;

        public override TokenEncoding?[] Encodings => _texts?.Encodings ?? [];

        public override void Dispose()
        {
            Head.Dispose();
            Backbone.Dispose();
        }
    }
}
