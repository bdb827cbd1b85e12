using System.Runtime.ExceptionServices;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// Runs independent fits (folds, grid points) side by side: as many at once as the workers allow, each with an equal
/// share of the remaining workers for its own blocks. Every fit is deterministic for any worker count, so the sweep's
/// results are the same however the fits are scheduled.
/// </summary>
internal static class ParallelFits
{
    public static void Run(ComputeContext context, int count, Action<int, ComputeContext> fit)
    {
        if (count <= 0) return;
        int concurrent = Math.Min(context.DegreeOfParallelism, count);
        var inner = context.WithParallelism(Math.Max(1, context.DegreeOfParallelism / concurrent));
        if (concurrent == 1)
        {
            for (int i = 0; i < count; i++) fit(i, inner);
            return;
        }
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrent }, i => fit(i, inner));
        }
        catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
        {
            // Surface the (first) real error with its own type and message, e.g. a TrainingDataException naming a fold.
            ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
        }
    }
}
