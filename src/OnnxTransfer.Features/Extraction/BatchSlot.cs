using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One reusable batch buffer of the image pipeline, cycling through decode → inference → write. Batch b always uses
/// slot b mod K, and the slot moves on to batch b + K only after the writer is done with b, so decoders write straight
/// into the tensor without copies and nothing is overwritten early (<see cref="PipelineSlot"/>).
/// </summary>
internal sealed class BatchSlot : PipelineSlot, IDisposable
{
    public BatchSlot(BackboneBatch batch, int dimension)
    {
        Batch = batch;
        Embeddings = new float[batch.Capacity * dimension];
        Errors = new ErrorRow?[batch.Capacity];
    }

    public BackboneBatch Batch { get; }

    /// <summary>Pooled, normalised embeddings of the batch, row-major.</summary>
    public float[] Embeddings { get; }

    /// <summary>Per position: the error of an input that failed, null for one that decoded.</summary>
    public ErrorRow?[] Errors { get; }

    protected override void Reset(int count) => Array.Clear(Errors);

    public void Dispose() => Batch.Dispose();
}
