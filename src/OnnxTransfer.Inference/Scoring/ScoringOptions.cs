using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>Settings of a batch scoring run (the model's own settings are the predictor's).</summary>
public sealed record ScoringOptions
{
    public ScoreFormat Format { get; init; } = ScoreFormat.Parquet;

    public ShardSpec Shard { get; init; } = ShardSpec.All;

    /// <summary>
    /// Rows per part file. A part is the unit of atomic commit and of resumption: part i always holds the shard's
    /// inputs i·R … i·R + R − 1 (in id order), so a rerun redoes exactly the parts that are missing.
    /// </summary>
    public int RowsPerPart { get; init; } = 4096;

    /// <summary>Labels per row in the top-k columns (capped at the number of classes).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Threads decoding images (0: one per logical core).</summary>
    public int DecodeThreads { get; init; }

    /// <summary>
    /// Batches the model runs at once (<c>--runs-in-flight</c>); null = auto: 2 when the model runs on CUDA, 1 on CPU.
    /// Scores are the same either way.
    /// </summary>
    public int? RunsInFlight { get; init; }

    /// <summary>
    /// Run the model once on a blank full batch before the decoders start (<c>--warm-up</c>; auto: on CUDA only), so
    /// the first run's one-time cost is timed apart as <see cref="ScoringSummary.WarmUpTime"/>
    /// (<see cref="Features.Pipeline.ModelWarmUp"/>). Scores are the same either way.
    /// </summary>
    public Features.Backbones.SpeedSwitch WarmUp { get; init; } = Features.Backbones.SpeedSwitch.Auto;

    /// <summary>How many inputs may fail before the run counts as failed (no <c>_SUCCESS</c>, exit code 3).</summary>
    public ErrorBudget MaxErrors { get; init; } = ErrorBudget.Default;

    internal int EffectiveDecodeThreads => DecodeThreads > 0 ? DecodeThreads : Environment.ProcessorCount;

    public void Validate()
    {
        if (RowsPerPart < 1) throw new ArgumentOutOfRangeException(nameof(RowsPerPart), RowsPerPart, "--rows-per-part must be at least 1.");
        if (TopK < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "--top-k must be at least 1.");
        if (RunsInFlight is { } runs && runs < 1) throw new ArgumentOutOfRangeException(nameof(RunsInFlight), runs, Features.Pipeline.RunsInFlight.Refusal(runs));
        if (DecodeThreads is < 0 or > 1024) throw new ArgumentOutOfRangeException(nameof(DecodeThreads), DecodeThreads, "--decode-threads must be 0 (one per core) to 1024.");
    }
}
