using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// One reused batch buffer cycling through decode → inference. Batch b always uses slot b mod S and the slot moves on
/// to batch b + S only after inference has read b, so decoders write straight into the input tensor, without copies.
/// </summary>
internal sealed class ScoreSlot(EngineBatch batch) : IDisposable
{
    private const int PollMilliseconds = 50;
    private int _remaining;

    public EngineBatch Batch { get; } = batch;

    /// <summary>Per position: the failure of an input that could not be decoded, null for one that was.</summary>
    public (string Reason, string Message)?[] Failures { get; } = new (string, string)?[batch.Capacity];

    public int Assigned { get; private set; } = -1;

    public int Count { get; private set; }

    public void Assign(int index, int count)
    {
        lock (this)
        {
            Array.Clear(Failures);
            Count = count;
            _remaining = count;
            Assigned = index;
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

    public void WaitAssigned(int index, CancellationToken token)
    {
        lock (this)
        {
            while (Assigned != index)
            {
                token.ThrowIfCancellationRequested();
                Monitor.Wait(this, PollMilliseconds);
            }
        }
    }

    public void CompleteOne()
    {
        if (Interlocked.Decrement(ref _remaining) != 0) return;
        lock (this) Monitor.PulseAll(this);
    }

    public void WaitReady(int index, CancellationToken token)
    {
        lock (this)
        {
            while (Assigned != index || Volatile.Read(ref _remaining) != 0)
            {
                token.ThrowIfCancellationRequested();
                Monitor.Wait(this, PollMilliseconds);
            }
        }
    }

    public bool AnyDecoded()
    {
        for (var i = 0; i < Count; i++)
            if (Failures[i] is null) return true;
        return false;
    }

    public void Dispose() => Batch.Dispose();
}
