using System.Globalization;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>A progress report: after each part is committed.</summary>
public sealed record ScoringProgress(int PartIndex, int PartRows, int PartErrors, int PartsDone, int PartsTotal, long RowsDone, long Rows, TimeSpan Elapsed);

/// <summary>What a scoring run (of one shard) did.</summary>
public sealed record ScoringSummary
{
    public required string OutputDirectory { get; init; }

    public required ShardSpec Shard { get; init; }

    /// <summary>All inputs of the folder or manifest, before sharding.</summary>
    public required int TotalInputs { get; init; }

    /// <summary>Inputs of this shard.</summary>
    public required int ShardInputs { get; init; }

    public required int Parts { get; init; }

    /// <summary>Parts found complete from an earlier run and kept.</summary>
    public required int PartsAlreadyDone { get; init; }

    public required int PartsWritten { get; init; }

    /// <summary>Rows scored or failed by this run (not counting kept parts).</summary>
    public required long RowsThisRun { get; init; }

    /// <summary>Failed inputs over the whole shard output (kept parts included).</summary>
    public required long Errors { get; init; }

    public required IReadOnlyDictionary<string, int> ErrorsByReason { get; init; }

    /// <summary>Failed inputs allowed by <c>--max-errors</c> (by default all but one; null: no inputs).</summary>
    public required long? ErrorsAllowed { get; init; }

    /// <summary>Stopped on request after a committed part; rerun to continue.</summary>
    public required bool Interrupted { get; init; }

    /// <summary>True when <see cref="Errors"/> exceeds what <c>--max-errors</c> allows (no <c>_SUCCESS</c> then).</summary>
    public bool TooManyErrors => ErrorsAllowed is { } allowed && Errors > allowed;

    /// <summary>True when every part exists and the success marker was written.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The whole run, <see cref="WarmUpTime"/> included.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>
    /// The model's run on a blank batch before scoring started (<see cref="ScoringOptions.WarmUp"/>: on CUDA, kernels
    /// loaded and cuDNN's algorithm search); zero when the run did not warm up.
    /// </summary>
    public TimeSpan WarmUpTime { get; init; }

    /// <summary>Batches the model ran at once (<see cref="ScoringOptions.RunsInFlight"/>, auto resolved).</summary>
    public int RunsInFlight { get; init; } = 1;

    public double InputsPerSecond => Elapsed.TotalSeconds > 0 ? RowsThisRun / Elapsed.TotalSeconds : 0;

    /// <summary>Inputs per second after the warm-up (what the pipeline sustains); <see cref="InputsPerSecond"/> without one.</summary>
    public double InputsPerSecondAfterWarmUp => Elapsed > WarmUpTime ? RowsThisRun / (Elapsed - WarmUpTime).TotalSeconds : 0;

    private string WarmUpNote => WarmUpTime > TimeSpan.Zero
        ? string.Create(CultureInfo.InvariantCulture, $"; {InputsPerSecondAfterWarmUp:F1} after a {WarmUpTime.TotalSeconds:F1} s warm-up")
        : "";

    public override string ToString()
    {
        var allowed = ErrorsAllowed is { } a ? string.Create(CultureInfo.InvariantCulture, $" (at most {a} allowed)") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"shard {Shard}: {ShardInputs} of {TotalInputs} inputs in {Parts} parts ({PartsAlreadyDone} kept, {PartsWritten} written); " +
            $"{RowsThisRun} rows in {Elapsed.TotalSeconds:F1} s ({InputsPerSecond:F1} inputs/s{WarmUpNote}); {Errors} errors{allowed}{(Interrupted ? "; interrupted" : "")}");
    }
}
