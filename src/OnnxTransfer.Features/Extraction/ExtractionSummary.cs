using System.Globalization;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Extraction;

/// <summary>What a run did, and where its time went.</summary>
public sealed record ExtractionSummary
{
    /// <summary>Inputs in the folder or manifest.</summary>
    public required int Inputs { get; init; }

    /// <summary>Inputs skipped because the cache already had them (embedded or failed before).</summary>
    public required int AlreadyCached { get; init; }

    /// <summary>Inputs left for a later run by the limit.</summary>
    public required int Deferred { get; init; }

    /// <summary>Inputs that had failed in an earlier run and were tried again (<see cref="ExtractionOptions.RetryErrors"/>).</summary>
    public int Retried { get; init; }

    public required int Embedded { get; init; }

    public required int Failed { get; init; }

    /// <summary>Embedding rows written: <see cref="Embedded"/> without views; with views one per input and view computed.</summary>
    public int EmbeddedRows { get; init; }

    /// <summary>The views every input of the cache has a row of (<c>extract --views</c>), the original first; empty without views.</summary>
    public IReadOnlyList<string> Views { get; init; } = [];

    /// <summary>More inputs failed than <see cref="ExtractionOptions.MaxErrors"/> allows (by default: all of them); no <c>_SUCCESS</c>.</summary>
    public bool TooManyErrors { get; init; }

    /// <summary>Texts longer than the backbone's max_length that were truncated to it (and embedded); 0 for images.</summary>
    public int Truncated { get; init; }

    /// <summary>
    /// Embeddings of this run that are all zeros: kept (a model may mean it), but worth a look: at fp16, features
    /// smaller than float16's range underflow to zero. Embeddings with NaN or infinity are error rows instead.
    /// </summary>
    public int ZeroEmbeddings { get; init; }

    /// <summary>Error rows of this run by reason code.</summary>
    public required IReadOnlyDictionary<string, int> ErrorsByReason { get; init; }

    /// <summary>The whole run, <see cref="WarmUpTime"/> included.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>
    /// The model's run on a blank batch before the pipeline started (<see cref="ExtractionOptions.WarmUp"/>: on CUDA,
    /// kernels loaded and cuDNN's algorithm search); zero when the run did not warm up.
    /// </summary>
    public TimeSpan WarmUpTime { get; init; }

    /// <summary>Time spent decoding and preprocessing (tokenising, for texts), summed over the decode threads.</summary>
    public required TimeSpan DecodeTime { get; init; }

    /// <summary>Time spent in the backbone (ONNX Runtime) including pooling/normalisation, summed over the runs in flight.</summary>
    public required TimeSpan InferenceTime { get; init; }

    /// <summary>Time spent encoding and writing Parquet.</summary>
    public required TimeSpan WriteTime { get; init; }

    /// <summary>Inference time the inference thread spent waiting for decoded batches.</summary>
    public required TimeSpan InferenceWaitTime { get; init; }

    public required int PartsWritten { get; init; }

    public required int ErrorPartsWritten { get; init; }

    public required int BatchSize { get; init; }

    /// <summary>Batches the backbone ran at once (<see cref="ExtractionOptions.RunsInFlight"/>, auto resolved).</summary>
    public int RunsInFlight { get; init; } = 1;

    public required int DecodeThreads { get; init; }

    public required IReadOnlyList<string> Providers { get; init; }

    /// <summary>How this run computed its embeddings (recorded in its parts).</summary>
    public Formats.EmbeddingNumerics Numerics { get; init; } = Formats.EmbeddingNumerics.Unknown;

    public required string CacheDirectory { get; init; }

    public required string FingerprintSha256 { get; init; }

    /// <summary>Inputs processed (embedded or failed) per second of wall time.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? (Embedded + Failed) / Elapsed.TotalSeconds : 0;

    /// <summary>Inputs per second after the warm-up (what the pipeline sustains); <see cref="ImagesPerSecond"/> without one.</summary>
    public double ImagesPerSecondAfterWarmUp => Elapsed > WarmUpTime ? (Embedded + Failed) / (Elapsed - WarmUpTime).TotalSeconds : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Embedded} embedded, {Failed} failed, {AlreadyCached} already cached in {Elapsed.TotalSeconds:F1} s ({ImagesPerSecond:F1} images/s); " +
        $"decode {DecodeTime.TotalSeconds:F1} s (over {DecodeThreads} threads), inference {InferenceTime.TotalSeconds:F1} s, write {WriteTime.TotalSeconds:F1} s");
}
