using System.Runtime.ExceptionServices;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// Runs independent fits (folds, grid points) side by side, in waves: as many at once as there are workers, each with
/// an equal share of the workers for its own blocks; a last, smaller wave gets the spare workers instead of leaving them
/// idle (5 folds on 2 workers: 2 + 2 at one worker each, then 1 at two). Every fit is deterministic for any worker
/// count, so the sweep's results are the same however the fits are scheduled.
/// </summary>
internal static class ParallelFits
{
    public static void Run(ComputeContext context, int count, Action<int, ComputeContext> fit)
    {
        int workers = context.DegreeOfParallelism;
        for (int start = 0; start < count;)
        {
            int wave = Math.Min(workers, count - start);
            var inner = context.WithParallelism(Math.Max(1, workers / wave));
            int first = start;
            if (wave == 1)
            {
                fit(first, inner);
            }
            else
            {
                try
                {
                    Parallel.For(0, wave, new ParallelOptions { MaxDegreeOfParallelism = wave }, i => fit(first + i, inner));
                }
                catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
                {
                    // Surface the (first) real error with its own type and message, e.g. a TrainingDataException naming a fold.
                    ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
                }
            }
            start += wave;
        }
    }
}
