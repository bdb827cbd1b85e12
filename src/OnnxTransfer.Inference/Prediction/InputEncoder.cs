using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// How an engine's inputs are prepared and fed, image or text: decoded and preprocessed into the batch's input tensor,
/// or tokenised into its encodings. An engine is an encoder run one of two ways — a fused model in one session
/// (<see cref="FusedEngine"/>: the encoder feeds the session) or a backbone and a head (<see cref="ChainedEngine"/>:
/// the encoder's backbone embeds, the head classifies) — and never knows which kind of input it runs.
/// </summary>
internal abstract class InputEncoder
{
    /// <summary>True for texts (tokenizer → encoder → pooling → head).</summary>
    public abstract bool IsText { get; }

    /// <summary>
    /// Prepares one input of a folder, manifest or text file into position <paramref name="position"/> of
    /// <paramref name="batch"/> (thread-safe across positions): null when it is ready, else why it failed.
    /// </summary>
    public abstract (string Reason, string Message)? Prepare(InputItem item, EngineBatch batch, int position);

    /// <summary>Reused buffers of a fused model's batch of up to <paramref name="capacity"/> inputs.</summary>
    public abstract EngineBatch CreateFusedBatch(int capacity, int classes);

    /// <summary>Runs the fused model in <paramref name="session"/> on the first <paramref name="count"/> inputs into the batch's probabilities.</summary>
    public abstract void RunFused(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken);

    /// <summary>Reused buffers of a chained batch: the backbone's input buffers and the head's.</summary>
    public abstract EngineBatch CreateChainedBatch(ChainedHead head, int capacity, int classes);

    /// <summary>Runs the backbone on the first <paramref name="count"/> inputs into the head's embeddings.</summary>
    public abstract void Embed(EngineBatch batch, int count, CancellationToken cancellationToken);

    /// <summary>The encoder of a chained engine: the backbone's own input preparation.</summary>
    public static InputEncoder Of(Backbone backbone) => backbone switch
    {
        ImageBackbone image => ImageInputEncoder.Of(image),
        TextBackbone text => TextInputEncoder.Of(text),
        _ => throw new ArgumentException($"No input encoder for {backbone.GetType().Name}.", nameof(backbone)),
    };
}

/// <summary>The head half of a chained batch: its embeddings (the backbone's output) and probabilities.</summary>
internal interface IChainedBatch
{
    ChainedHead.Buffers Head { get; }
}
