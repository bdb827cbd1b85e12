namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// A backbone's batches between extraction runs: the buffers one run used (an image batch of 32 at 224×224 is 19 MB;
/// pinned on CUDA), kept for the next run with the same backbone, so a process that extracts several times (a library
/// user's train, val and test folders, a service, the bench's repeated runs) does not allocate them and touch every
/// page of them again. On the 2-core VM that first touch cost ≈ 0.08 s of page faults a run (7 % of 398 photos with
/// the int8 model); on CUDA each run also page-locked them. Holds batches of one shape at a time (a run with another
/// batch size replaces them) and at most as many as one run returned; disposed with the backbone, before its session.
/// </summary>
internal sealed class IdleBatches : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Stack<BackboneBatch> _idle = new();
    private (int BatchSize, int Positions) _shape; // what the idle batches were made for (ExtractionBatching.Shape)
    private bool _disposed;

    /// <summary>Batches kept now.</summary>
    public int Count
    {
        get { lock (_gate) return _idle.Count; }
    }

    /// <summary>An idle batch of <paramref name="shape"/>, or a new one from <paramref name="create"/>.</summary>
    public BackboneBatch Rent((int BatchSize, int Positions) shape, Func<BackboneBatch> create)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_shape == shape && _idle.TryPop(out var batch)) return batch;
        }
        return create();
    }

    /// <summary>
    /// Keeps a finished run's batches (every thread of the run is done with them) for the next run; what is not kept
    /// (another run's batches already fill the shelf, or the backbone was disposed) is disposed here.
    /// </summary>
    public void Return((int BatchSize, int Positions) shape, IReadOnlyList<BackboneBatch> batches)
    {
        var surplus = new List<BackboneBatch>();
        lock (_gate)
        {
            if (_disposed) surplus.AddRange(batches);
            else
            {
                if (_shape != shape)
                {
                    surplus.AddRange(_idle);
                    _idle.Clear();
                    _shape = shape;
                }
                foreach (var batch in batches)
                    if (_idle.Count < batches.Count) _idle.Push(batch);
                    else surplus.Add(batch);
            }
        }
        foreach (var batch in surplus) batch.Dispose();
    }

    public void Dispose()
    {
        BackboneBatch[] idle;
        lock (_gate)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var batch in idle) batch.Dispose();
    }
}
