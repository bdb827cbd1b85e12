using OnnxTransfer.Formats;
namespace OnnxTransfer.Features.Extraction;

/// <summary>Where a run stands, reported after every batch written.</summary>
/// <param name="Total">Inputs this run processes (already cached ones excluded).</param>
/// <param name="Embedded">Inputs embedded so far.</param>
/// <param name="Failed">Inputs that became error rows so far.</param>
/// <param name="Committed">Inputs whose rows are in completed part files (safe from an interruption).</param>
/// <param name="Elapsed">Time since the run started.</param>
public readonly record struct ExtractionProgress(int Total, int Embedded, int Failed, int Committed, TimeSpan Elapsed)
{
    public int Done => Embedded + Failed;

    public double Fraction => Total == 0 ? 1 : (double)Done / Total;

    /// <summary>Inputs per second so far.</summary>
    public double Rate => Elapsed.TotalSeconds > 0 ? Done / Elapsed.TotalSeconds : 0;
}
