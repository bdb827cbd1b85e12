using OnnxTransfer.Formats;
namespace OnnxTransfer.Features.Pipeline;

/// <summary>
/// What one run does with its units (an image batch, a window of texts, a batch of a score part) in the three stages
/// of <see cref="BatchPipeline{TBuffer}"/>. Unit u is prepared, run and written in buffer order: positions of a unit
/// are prepared on several threads at once; units are run on up to R threads at once (R, "runs in flight", is the
/// pipeline's runner count: 1 on CPU, 2 on CUDA by default), started in unit order; each unit is written on one thread,
/// in unit order.
/// </summary>
public interface IBatchStages<in TBuffer>
{
    /// <summary>Units of the run, numbered 0 … Units − 1.</summary>
    int Units { get; }

    /// <summary>Positions (inputs) of <paramref name="unit"/>, at least 1.</summary>
    int PositionsOf(int unit);

    /// <summary>
    /// Prepares one position of <paramref name="unit"/> into <paramref name="buffer"/>: decode, preprocess or tokenise,
    /// or record why the input failed. Called on several threads at once, for distinct positions; it sets every
    /// per-position field of the buffer, since the buffer comes back from an earlier unit.
    /// </summary>
    void Prepare(TBuffer buffer, int unit, int position);

    /// <summary>
    /// Runs the model over a prepared unit: called on up to R threads at once, for distinct units (each with its own
    /// buffer), started in unit order, so it must be thread-safe across units (no shared scratch, counters updated
    /// atomically). Throwing <see cref="OperationCanceledException"/> drops the unit (and the units after it);
    /// returning after a stop hands the unit to the writer with what was computed so far.
    /// </summary>
    void Run(TBuffer buffer, int unit, CancellationToken token);

    /// <summary>
    /// Writes a run unit (one thread, in unit order); every unit handed over is written, even after a stop. False ends
    /// the run cleanly here (the caller asked to stop after this unit).
    /// </summary>
    bool Write(TBuffer buffer, int unit);

    /// <summary>On the writing thread, after the last unit or a stop: commit what has been written.</summary>
    void Finish();
}
