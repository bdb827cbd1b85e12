using OnnxTransfer.Imaging;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// What turns preprocessed inputs into class probabilities: a fused model in one session, or a backbone and a head in
/// two. The predictor and the batch scorer decode into an engine's batches and call <see cref="Run"/>; they never
/// know which kind runs. A text engine (tokenizer → encoder → pooling → head) would plug in here: its batches hold
/// token ids instead of pixels.
/// </summary>
internal abstract class InferenceEngine : IDisposable
{
    protected InferenceEngine(IReadOnlyList<string> labels, ImageDecoder decoder, ImagePreprocessor preprocessor, int? fixedBatchSize)
    {
        Labels = labels;
        Decoder = decoder;
        Preprocessor = preprocessor;
        FixedBatchSize = fixedBatchSize;
    }

    public IReadOnlyList<string> Labels { get; }

    public ImageDecoder Decoder { get; }

    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The batch size the model requires, when its batch dimension is fixed.</summary>
    public int? FixedBatchSize { get; }

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

    public abstract void Dispose();
}

/// <summary>One batch's reused buffers: the input tensor the decoders write into, and the probabilities read back.</summary>
internal abstract class EngineBatch(int capacity, int imageLength, int classes) : IDisposable
{
    public int Capacity { get; } = capacity;

    public int ImageLength { get; } = imageLength;

    /// <summary>[capacity, …image shape], row-major.</summary>
    public abstract float[] Input { get; }

    /// <summary>[capacity, classes], row-major.</summary>
    public float[] Probabilities { get; } = new float[checked(capacity * classes)];

    public Span<float> ImageSlot(int index) => Input.AsSpan(index * ImageLength, ImageLength);

    public abstract void Dispose();
}
