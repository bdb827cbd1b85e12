using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// How a fused model's inputs are prepared and fed, image or text: read as the backbone reads them (its
/// <see cref="InputReader"/>, from the spec in the model's metadata), into the batch's input tensor or its tokens, then
/// fed to the one session. A chained engine needs none: its backbone prepares and runs its own inputs.
/// </summary>
internal abstract class InputEncoder(InputReader reader)
{
    /// <summary>How one input becomes model input (the backbone's own code).</summary>
    public InputReader Reader { get; } = reader;

    /// <summary>
    /// Prepares one input into position <paramref name="position"/> of <paramref name="batch"/> (thread-safe across
    /// positions): null when it is ready, else why it failed.
    /// </summary>
    public abstract InputFailure? Prepare(InputItem item, EngineBatch batch, int position);

    /// <summary>Reused buffers of a fused model's batch of up to <paramref name="capacity"/> inputs.</summary>
    public abstract EngineBatch CreateBatch(int capacity, int classes);

    /// <summary>Runs the fused model in <paramref name="session"/> on the first <paramref name="count"/> inputs into the batch's probabilities.</summary>
    public abstract void Run(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken);
}
