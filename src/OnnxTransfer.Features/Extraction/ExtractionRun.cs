using OnnxTransfer.Features.Pipeline;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One extraction run, image or text: the stages it gives <see cref="BatchPipeline{TBuffer}"/> and what
/// <see cref="ExtractionPipeline.Run"/> reads back for its summary.
/// </summary>
internal abstract class ExtractionRun(CachePartSequence parts)
{
    /// <summary>The writer's bookkeeping: rows appended in order, parts committed.</summary>
    protected CachePartSequence Parts { get; } = parts;

    public abstract int BatchSize { get; }
    public int Embedded => Parts.Embedded;
    public int Failed => Parts.Failed;
    public virtual int Truncated => 0;
    public int PartsWritten => Parts.PartsWritten;
    public int ErrorPartsWritten => Parts.ErrorPartsWritten;
    public IReadOnlyDictionary<string, int> ErrorsByReason => Parts.ErrorsByReason;

    /// <summary>Where the run's time went (decode, inference, wait, write).</summary>
    public PipelineTimes Times { get; protected set; }

    /// <exception cref="OperationCanceledException">Cancelled; the complete rows so far are committed.</exception>
    public abstract void Execute(CancellationToken cancellationToken);
}
