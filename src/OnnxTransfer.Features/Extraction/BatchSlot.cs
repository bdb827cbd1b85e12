using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One reusable batch buffer of the pipeline, cycling through decode → inference → write. Batch b always uses slot
/// b mod K, and the slot moves on to batch b + K only after the writer is done with b, so decoders write straight
/// into the tensor without copies and nothing is overwritten early. State changes happen under the slot's lock and
/// wake waiters.
/// </summary>
internal sealed class BatchSlot : IDisposable
{
    private const int PollMilliseconds = 50;

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

    /// <summary>The batch this slot holds now (-1 when the run needs it no more).</summary>
    public int Assigned { get; private set; } = -1;

    /// <summary>Inputs of <see cref="Assigned"/> in the batch.</summary>
    public int Count { get; private set; }

    private int _remaining;

    public void Assign(int batch, int count)
    {
        lock (this)
        {
            Array.Clear(Errors);
            Count = count;
            _remaining = count;
            Assigned = batch;
            Monitor.PulseAll(this);
        }
    }

    public void Retire()
    {
        lock (this)
        {
            Assigned = -1;
            Monitor.PulseAll(this);
        }
    }

    /// <summary>Blocks a decoder until this slot holds <paramref name="batch"/>.</summary>
    public void WaitAssigned(int batch, CancellationToken token)
    {
        lock (this)
        {
            while (Assigned != batch)
            {
                token.ThrowIfCancellationRequested();
                Monitor.Wait(this, PollMilliseconds);
            }
        }
    }

    /// <summary>A decoder finished one position (decoded or failed).</summary>
    public void CompleteOne()
    {
        if (Interlocked.Decrement(ref _remaining) != 0) return;
        lock (this) Monitor.PulseAll(this);
    }

    /// <summary>Blocks the inference thread until every input of <paramref name="batch"/> is decoded or failed.</summary>
    public void WaitReady(int batch, CancellationToken token)
    {
        lock (this)
        {
            while (Assigned != batch || Volatile.Read(ref _remaining) != 0)
            {
                token.ThrowIfCancellationRequested();
                Monitor.Wait(this, PollMilliseconds);
            }
        }
    }

    public void Dispose() => Batch.Dispose();
}
