using OnnxTransfer.Formats;
namespace OnnxTransfer.Features.Extraction;

/// <summary>Settings of an extraction run (the backbone's own settings are in its spec and <c>BackboneRunOptions</c>).</summary>
public sealed record ExtractionOptions
{
    /// <summary>Images per inference call (ignored when the model fixes its batch size).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Threads decoding and preprocessing images (0: one per logical core).</summary>
    public int DecodeThreads { get; init; }

    /// <summary>
    /// Embedding rows per part file. A part is the unit of atomic commit: an interrupted run loses at most the part in
    /// progress, and a rerun extracts those inputs again.
    /// </summary>
    public int RowsPerPart { get; init; } = 2048;

    /// <summary>
    /// Commit the part in progress once it has been open this long, even when it has fewer than <see cref="RowsPerPart"/>
    /// rows: bounds the work a hard kill (a scheduler's time limit, OOM) can lose, whatever the model's speed. Null: by
    /// rows only. Parts then depend on timing (their rows and embedding bytes do not).
    /// </summary>
    public TimeSpan? PartTime { get; init; }

    /// <summary>Rows per Parquet row group inside a part (the unit readers stream).</summary>
    public int RowsPerRowGroup { get; init; } = 512;

    /// <summary>Extract at most this many new inputs (the rest wait for the next run); null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>
    /// Try again the inputs that failed in earlier runs (e.g. files restored since): their error rows are removed first.
    /// By default a failed input counts as done, like an embedded one.
    /// </summary>
    public bool RetryErrors { get; init; }

    /// <summary>
    /// Failed inputs a run may have and still count as finished (<c>_SUCCESS</c>). Null, the default: any number,
    /// unless every input the run attempted failed (a wrong folder, an unreadable manifest), which is no success.
    /// </summary>
    public int? MaxErrors { get; init; }

    /// <summary>
    /// Texts: inputs (consecutive in id order) sorted by token count together to form batches of similar length; null =
    /// 16 batches. Larger windows waste less padding and hold more embeddings in memory. A setting of the run: change it
    /// and a resumed run may pad some texts differently (their embeddings then differ in the last bits).
    /// </summary>
    public int? TextWindow { get; init; }

    /// <summary>
    /// Batch buffers in flight between decoding, inference and writing (3: one filling, one running, one writing); raised
    /// to <see cref="Pipeline.RunsInFlight.BuffersFor"/> the runs in flight when those need more.
    /// </summary>
    public int BatchesInFlight { get; init; } = 3;

    /// <summary>
    /// Batches the model runs at once (<c>--runs-in-flight</c>); null = auto: 2 when the backbone runs on CUDA (one
    /// batch's copies and kernels overlap the next one's), 1 on CPU (ONNX Runtime's threads already use the cores).
    /// Embeddings are the same either way.
    /// </summary>
    public int? RunsInFlight { get; init; }

    /// <summary>
    /// Run the model once on a blank full batch before the decoders start (<c>--warm-up</c>; auto: on CUDA only), so
    /// the first run's one-time cost (CUDA kernels loaded, cuDNN's algorithm search) is timed apart as
    /// <see cref="ExtractionSummary.WarmUpTime"/>: <see cref="Pipeline.ModelWarmUp"/>. Embeddings are the same either way.
    /// </summary>
    public Backbones.SpeedSwitch WarmUp { get; init; } = Backbones.SpeedSwitch.Auto;

    internal int EffectiveDecodeThreads => DecodeThreads > 0 ? DecodeThreads : Environment.ProcessorCount;

    /// <summary>Refuses impossible settings with the option to fix.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"--batch must be at least 1 (got {BatchSize}); 32 is a good start on CPU, 64–256 on a GPU.");
        if (BatchSize > 65536) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "--batch is too large; use at most 65536.");
        if (DecodeThreads < 0 || DecodeThreads > 1024) throw new ArgumentOutOfRangeException(nameof(DecodeThreads), DecodeThreads, "--decode-threads must be 0 (one per core) to 1024.");
        if (RowsPerPart < 1) throw new ArgumentOutOfRangeException(nameof(RowsPerPart), RowsPerPart, "--rows-per-part must be at least 1.");
        if (RowsPerRowGroup < 1) throw new ArgumentOutOfRangeException(nameof(RowsPerRowGroup), RowsPerRowGroup, "Rows per row group must be at least 1.");
        if (PartTime is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PartTime), PartTime, "--part-seconds must be positive.");
        if (Limit is < 0) throw new ArgumentOutOfRangeException(nameof(Limit), Limit, "--limit must be 0 or more.");
        if (TextWindow is < 1) throw new ArgumentOutOfRangeException(nameof(TextWindow), TextWindow, "The text window must hold at least 1 input (null for 16 batches).");
        if (RunsInFlight is { } runs && runs < 1) throw new ArgumentOutOfRangeException(nameof(RunsInFlight), runs, Pipeline.RunsInFlight.Refusal(runs));
        if (BatchesInFlight < 2) throw new ArgumentOutOfRangeException(nameof(BatchesInFlight), BatchesInFlight, "At least 2 batches must be in flight.");
    }
}
