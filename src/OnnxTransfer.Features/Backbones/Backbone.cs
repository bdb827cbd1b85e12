using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Runtime;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// What every backbone is, image or text: a spec checked against its model, the model cut at the feature tensor and
/// loaded into one ONNX Runtime session (owned here), the embedding dimension and the fingerprint of the cache it
/// fills — and one way to run it: <see cref="CreateBatch"/> (reused buffers), <see cref="Prepare"/> (one input into
/// one position, on any number of threads), <see cref="Embed"/> (the model over a batch, pooled and normalised).
/// Extraction, the chained predictor and the scorer run every backbone through these three; how an input becomes
/// model input (decode and preprocess, or tokenise) and how a batch is cut into model runs (a text batch in
/// length-bucketed runs) are the encoder's: <see cref="ImageBackbone"/> or <see cref="TextBackbone"/>.
/// </summary>
public abstract class Backbone : IDisposable
{
    private protected Backbone(BackboneSpec spec, string modelPath, string modelSha256, string featureTensor, ModelSession session,
        int dimension, IReadOnlyList<string> notes)
    {
        Spec = spec;
        ModelPath = modelPath;
        ModelSha256 = modelSha256;
        FeatureTensor = featureTensor;
        Session = session;
        Dimension = dimension;
        Notes = notes;
    }

    /// <summary>The session running the cut model (owned: disposed with the backbone).</summary>
    private protected ModelSession Session { get; }

    /// <summary>Extraction runs' batches between runs (owned: disposed with the backbone, before the session).</summary>
    private readonly IdleBatches _idleBatches = new();

    public BackboneSpec Spec { get; }

    /// <summary>The model file (resolved from the spec).</summary>
    public string ModelPath { get; }

    /// <summary>sha256 of the model file as read now.</summary>
    public string ModelSha256 { get; }

    /// <summary>The tensor the model was cut at (image: the locator's choice when the spec says "auto"; text: the output to pool).</summary>
    public string FeatureTensor { get; }

    /// <summary>Why the locator chose <see cref="FeatureTensor"/>; null when the spec named it.</summary>
    public virtual string? FeatureExplanation => null;

    /// <summary>Floats per embedding.</summary>
    public int Dimension { get; }

    /// <summary>What a cache of this backbone's embeddings is keyed by: model, feature tensor, input preparation.</summary>
    public abstract BackboneFingerprint Fingerprint { get; }

    /// <summary>The batch size the model requires when its batch dimension is fixed (e.g. 1); null when any size runs.</summary>
    public abstract int? FixedBatchSize { get; }

    /// <summary>ONNX Runtime's execution providers that run the model, e.g. ["CPUExecutionProvider"].</summary>
    public IReadOnlyList<string> ActiveProviders => Session.ActiveProviders;

    /// <summary>Warnings from session creation (e.g. CUDA fell back to CPU).</summary>
    public IReadOnlyList<string> Warnings => Session.Warnings;

    /// <summary>How this session computes the embeddings (provider, precision, runtime): recorded in every cache part.</summary>
    public EmbeddingNumerics Numerics { get; private protected init; } = EmbeddingNumerics.Unknown;

    /// <summary>Things worth telling the user (unpinned model file, fixed shapes).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>How one input becomes model input (decoded and preprocessed, or tokenised), and why it cannot.</summary>
    public abstract InputReader Reader { get; }

    /// <summary>Reused buffers for a batch of up to <paramref name="capacity"/> inputs (exactly the fixed batch size when the model fixes it).</summary>
    public abstract BackboneBatch CreateBatch(int capacity);

    /// <summary>
    /// Prepares one input into position <paramref name="position"/> of <paramref name="batch"/> (decode and preprocess,
    /// or tokenise): null when it is ready, else why it failed (the cache's error reason and message). Thread-safe
    /// across distinct positions.
    /// </summary>
    public InputFailure? Prepare(InputItem item, BackboneBatch batch, int position)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(batch);
        var failure = PrepareInput(item, batch, position);
        batch[position] = failure is null ? PositionState.Ready : PositionState.Failed;
        return failure;
    }

    /// <summary>Prepares one input into its position (overwriting what it held); null when it is ready.</summary>
    private protected abstract InputFailure? PrepareInput(InputItem item, BackboneBatch batch, int position);

    /// <summary>
    /// Runs the model over the first <paramref name="count"/> positions of <paramref name="batch"/> and writes each
    /// prepared position's embedding (<see cref="Dimension"/> floats, pooled and normalised as the spec says) to its
    /// row of <paramref name="embeddings"/>; the rows of failed or excluded positions are not to be read (an image batch
    /// computes them from whatever their slice holds). One thread at a time per batch. Stopped part-way, the positions written so far answer <see cref="BackboneBatch.IsEmbedded"/>.
    /// </summary>
    public abstract void Embed(BackboneBatch batch, int count, Span<float> embeddings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the model once over all of a blank <paramref name="batch"/> (its input cleared, its outputs discarded), so
    /// the one-time cost of a batch shape's first run is paid before the pipeline starts (<see cref="Pipeline.ModelWarmUp"/>).
    /// False when this backbone does not warm up: text batches change shape with their longest text.
    /// </summary>
    internal virtual bool WarmUp(BackboneBatch batch, CancellationToken cancellationToken) => false;

    /// <summary>How extraction cuts its inputs into batches for this backbone (<see cref="ExtractionRun"/>).</summary>
    /// <param name="pending">Inputs to compute in this run.</param>
    internal abstract ExtractionBatching BatchingFor(ExtractionOptions options, int pending);

    /// <summary>A batch for an extraction run cut as <paramref name="batching"/> says: one a finished run left, or a new one.</summary>
    internal BackboneBatch RentBatch(ExtractionBatching batching) =>
        _idleBatches.Rent(batching.Shape, batching.CreateBatch);

    /// <summary>Batches kept from finished extraction runs now.</summary>
    internal int IdleBatchCount => _idleBatches.Count;

    /// <summary>A finished extraction run's batches, kept for the next run with this backbone (see <see cref="IdleBatches"/>).</summary>
    internal void ReturnBatches(ExtractionBatching batching, IReadOnlyList<BackboneBatch> batches) =>
        _idleBatches.Return(batching.Shape, batches);

    /// <summary>
    /// Loads the backbone the spec describes (<see cref="BackboneSpec.Kind"/>); everything wrong is refused here, before
    /// any input is read, with a <see cref="BackboneSpecException"/> that names the fix.
    /// </summary>
    /// <param name="overLength">Texts longer than <c>text.max_length</c> tokens: truncated and counted (default) or error rows.</param>
    public static Backbone Load(BackboneSpec spec, BackboneRunOptions? options = null, OverLengthPolicy overLength = OverLengthPolicy.Truncate)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Kind == BackboneKind.Text ? TextBackbone.Load(spec, options, overLength) : ImageBackbone.Load(spec, options);
    }

    /// <summary>As <see cref="Load(BackboneSpec, BackboneRunOptions?, OverLengthPolicy)"/>: a text over the maximum length is an error row (true) or truncated.</summary>
    public static Backbone Load(BackboneSpec spec, BackboneRunOptions options, bool refuseLongTexts) =>
        Load(spec, options, refuseLongTexts ? OverLengthPolicy.Refuse : OverLengthPolicy.Truncate);

    /// <summary>How token vectors become one vector (", mean-pooled, at most 128 tokens"); empty for images.</summary>
    public string PoolingDescription => Spec.Text is { } text ? $", {SpecNames.Of(text.Pooling)}-pooled, at most {text.MaxLength} tokens" : "";

    public void Dispose()
    {
        _idleBatches.Dispose(); // pinned batches go back to the session's allocator first
        Session.Dispose();
        GC.SuppressFinalize(this);
    }
}
