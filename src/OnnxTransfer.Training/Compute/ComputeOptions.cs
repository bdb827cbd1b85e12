using OnnxTransfer.Training.Blas;

namespace OnnxTransfer.Training.Compute;

/// <summary>
/// How training and prediction run (never what they learn): the BLAS backend and the number of worker threads.
/// Results are bit-identical for every <see cref="DegreeOfParallelism"/> and differ between backends only by float
/// rounding, so these are machine settings, not model settings.
/// </summary>
public sealed record ComputeOptions
{
    /// <summary>The matrix multiply backend; null means <see cref="BlasBackend.Default"/>.</summary>
    public BlasBackend? Blas { get; init; }

    /// <summary>Worker threads for one fit or one sweep (default: all processors). Must be at least 1.</summary>
    public int DegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>All processors, the default backend.</summary>
    public static ComputeOptions Default { get; } = new();

    internal ComputeContext CreateContext()
    {
        if (DegreeOfParallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(DegreeOfParallelism), DegreeOfParallelism,
                "DegreeOfParallelism must be at least 1 (use 1 to train on one thread).");
        return new ComputeContext(Blas ?? BlasBackend.Default, DegreeOfParallelism);
    }
}
