using System.Diagnostics;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Pipeline;

/// <summary>Where a pipeline run's time went, in <see cref="Stopwatch"/> ticks.</summary>
/// <param name="PrepareTicks">Preparing (decode, preprocess, tokenise), summed over the preparing threads.</param>
/// <param name="RunTicks">Running the model, summed over the running threads (with several runs in flight it can exceed the wall time).</param>
/// <param name="WaitTicks">The runner whose turn it was waiting for the next unit to be prepared, summed over its turns.</param>
/// <param name="WriteTicks">Writing, including the final commit.</param>
public readonly record struct PipelineTimes(long PrepareTicks, long RunTicks, long WaitTicks, long WriteTicks)
{
    public TimeSpan Prepare => Stopwatch.GetElapsedTime(0, PrepareTicks);
    public TimeSpan Run => Stopwatch.GetElapsedTime(0, RunTicks);
    public TimeSpan Wait => Stopwatch.GetElapsedTime(0, WaitTicks);
    public TimeSpan Write => Stopwatch.GetElapsedTime(0, WriteTicks);
}
