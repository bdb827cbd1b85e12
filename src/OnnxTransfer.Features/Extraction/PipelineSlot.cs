namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// The hand-over protocol of one reusable pipeline buffer: unit u (an image batch, or a window of texts) always uses
/// slot u mod K; preparing threads wait until the slot holds their unit, fill one position each and count it done; the
/// inference thread waits until every position is done; the writer assigns the next unit (u + K) once it has written
/// u. State changes happen under the slot's lock and wake waiters.
/// </summary>
internal abstract class PipelineSlot
{
    private const int PollMilliseconds = 50;

    private int _remaining;

    /// <summary>The unit this slot holds now (-1 when the run needs it no more).</summary>
    public int Assigned { get; private set; } = -1;

    /// <summary>Positions of <see cref="Assigned"/> (inputs of the batch or window).</summary>
    public int Count { get; private set; }

    public void Assign(int unit, int count)
    {
        lock (this)
        {
            Reset(count);
            Count = count;
            _remaining = count;
            Assigned = unit;
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

    /// <summary>Blocks a preparing thread until this slot holds <paramref name="unit"/>.</summary>
    public void WaitAssigned(int unit, CancellationToken token)
    {
        lock (this)
        {
            while (Assigned != unit)
            {
                token.ThrowIfCancellationRequested();
                Monitor.Wait(this, PollMilliseconds);
            }
        }
    }

    /// <summary>A preparing thread finished one position (prepared or failed).</summary>
    public void CompleteOne()
    {
        if (Interlocked.Decrement(ref _remaining) != 0) return;
        lock (this) Monitor.PulseAll(this);
    }

    /// <summary>Blocks the inference thread until every position of <paramref name="unit"/> is prepared or failed.</summary>
    public void WaitReady(int unit, CancellationToken token)
    {
        lock (this)
        {
            while (Assigned != unit || Volatile.Read(ref _remaining) != 0)
            {
                token.ThrowIfCancellationRequested();
                Monitor.Wait(this, PollMilliseconds);
            }
        }
    }

    /// <summary>Clears the per-unit state before a new unit of <paramref name="count"/> positions (called under the lock).</summary>
    protected abstract void Reset(int count);
}
