using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Text;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// What turns prepared inputs into class probabilities, images or texts, one of two ways — a fused model in one session
/// fed by its <see cref="InputEncoder"/> (<see cref="FusedEngine"/>), or a backbone run through its own contract and a
/// head in a second session (<see cref="ChainedEngine"/>). The predictor and the batch scorer prepare inputs into an engine's batches
/// (<see cref="Prepare"/>: decode an image into its slice of the input tensor, or tokenise a text) and call
/// <see cref="Run"/>; they never know which kind runs.
/// </summary>
internal abstract class InferenceEngine(IReadOnlyList<string> labels, InputReader reader, int? fixedBatchSize) : IDisposable
{
    public IReadOnlyList<string> Labels { get; } = labels;

    /// <summary>How one input becomes model input: decoded and preprocessed, or tokenised (the backbone's code).</summary>
    public InputReader Reader { get; } = reader;

    /// <summary>True for text engines (tokenizer → encoder → pooling → head).</summary>
    public bool IsText => Reader.ReadsTexts;

    /// <summary>The batch size the model requires, when its batch dimension is fixed.</summary>
    public int? FixedBatchSize { get; } = fixedBatchSize;

    /// <summary>The model's OOD output; null when it has none (then <see cref="EngineBatch.OodScores"/> stays unwritten).</summary>
    public OodOutput? Ood { get; private protected init; }

    public abstract IReadOnlyList<string> ActiveProviders { get; }

    public abstract IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// What determines the probabilities, for score manifests: the fused file's sha256, or the backbone fingerprint's
    /// and the head's sha256.
    /// </summary>
    public abstract string Identity { get; }

    /// <summary>A short description for logs: "fused model x.onnx" or "backbone b + head h".</summary>
    public abstract string Description { get; }

    /// <summary>Reused buffers for up to <paramref name="capacity"/> inputs (exactly the fixed size when the model fixes it).</summary>
    public abstract EngineBatch CreateBatch(int capacity);

    /// <summary>Runs the first <paramref name="count"/> inputs of <paramref name="batch"/>; probabilities land in <see cref="EngineBatch.Probabilities"/>. Thread-safe across batches.</summary>
    public abstract void Run(EngineBatch batch, int count, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the model once over all of a blank image <paramref name="batch"/> (input cleared, probabilities discarded),
    /// so a batch shape's one-time first-run cost is paid before scoring starts (<see cref="Features.Pipeline.ModelWarmUp"/>).
    /// False for a text model, which does not warm up (a text batch's shape follows its longest text).
    /// </summary>
    public bool WarmUp(EngineBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.ImageLength == 0) return false;
        batch.Input.Clear();
        Run(batch, batch.Capacity, cancellationToken);
        return true;
    }

    /// <summary>
    /// Prepares one input of a folder, manifest or text file into position <paramref name="position"/> of
    /// <paramref name="batch"/> (thread-safe across positions): null when it is ready, else why it failed.
    /// </summary>
    public (string Reason, string Message)? Prepare(InputItem item, EngineBatch batch, int position) =>
        PrepareInput(item, batch, position) is { } failure ? (failure.Code, failure.Message) : null;

    private protected abstract InputFailure? PrepareInput(InputItem item, EngineBatch batch, int position);

    public abstract void Dispose();
}

/// <summary>
/// One batch's reused buffers: the input tensor the decoders write into (empty for text batches) or the tokens of each
/// position (empty for image batches), and the probabilities read back.
/// </summary>
internal abstract class EngineBatch(int capacity, int classes) : IDisposable
{
    public int Capacity { get; } = capacity;

    /// <summary>Floats per image in <see cref="Input"/>.</summary>
    public virtual int ImageLength => 0;

    /// <summary>[capacity, …image shape], row-major; empty for texts.</summary>
    public virtual Span<float> Input => default;

    /// <summary>Per position: the tokens, or null for an input that failed; empty for images.</summary>
    public virtual TokenEncoding?[] Encodings => [];

    /// <summary>[capacity, classes], row-major.</summary>
    public float[] Probabilities { get; } = new float[checked(capacity * classes)];

    /// <summary>[capacity]: the OOD score of each position, written when the engine's model has one.</summary>
    public float[] OodScores { get; } = new float[capacity];

    public Span<float> ImageSlot(int index) => Input.Slice(index * ImageLength, ImageLength);

    public abstract void Dispose();
}
