using System.Globalization;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Verification;

/// <summary>One sampled input compared: its embedding against the cached one, and/or the head's answer on both.</summary>
/// <param name="Cosine">Cosine similarity of the fresh and the cached embedding; null when embeddings were not compared (a fused model).</param>
/// <param name="MaxAbsDifference">Largest absolute difference of one embedding element; null as <paramref name="Cosine"/>.</param>
/// <param name="CachedTop1">The head's label index on the cached embedding; null without a head.</param>
/// <param name="Top1">The label index where the user runs (head on the fresh embedding, or the fused model); null without a head.</param>
/// <param name="MaxProbabilityDifference">Largest difference of one class probability; null without a head.</param>
public sealed record VerifiedInput(string Id, string Source, string? Label, string? Split, double? Cosine, double? MaxAbsDifference,
    int? CachedTop1, int? Top1, double? MaxProbabilityDifference);

/// <summary>A sampled input that could not be re-embedded (missing, unreadable, not an image any more): reported, not fatal.</summary>
public sealed record VerificationFailure(string Id, string Source, string Reason, string Message);

/// <summary>Embedding agreement over the compared inputs.</summary>
public sealed record EmbeddingAgreement(double MinCosine, double MedianCosine, double MaxAbsDifference);

/// <summary>Head agreement over the compared inputs: top-1 agreement as a share (1 = all agree).</summary>
public sealed record HeadAgreement(double Top1Agreement, int Disagreements, double MaxProbabilityDifference);

/// <summary>
/// What <see cref="DeploymentVerifier"/> found: where it ran, what it compared, the figures, and whether they meet the
/// thresholds. <see cref="FailedChecks"/> says in words what fell short.
/// </summary>
public sealed record VerificationReport
{
    public required string Cache { get; init; }

    /// <summary>"backbone 'mobilenetv2-int8'" or "fused model /path/fused.onnx".</summary>
    public required string Target { get; init; }

    /// <summary>The numerics the cache records (unknown for caches made before they were recorded).</summary>
    public required IReadOnlyList<EmbeddingNumerics> CacheNumerics { get; init; }

    /// <summary>How this run computes (null for a fused model, whose session is not a backbone's).</summary>
    public EmbeddingNumerics? RunNumerics { get; init; }

    /// <summary>ONNX Runtime providers that ran the model here.</summary>
    public required IReadOnlyList<string> Providers { get; init; }

    public required int CacheRows { get; init; }

    public required VerificationOptions Options { get; init; }

    /// <summary>Inputs sampled (compared + failed).</summary>
    public int Sampled => Inputs.Count + Failures.Count;

    public int Compared => Inputs.Count;

    public required IReadOnlyList<VerifiedInput> Inputs { get; init; }

    public required IReadOnlyList<VerificationFailure> Failures { get; init; }

    /// <summary>Null when embeddings were not compared (a fused model has probabilities only).</summary>
    public EmbeddingAgreement? Embeddings { get; init; }

    /// <summary>Null without a head.</summary>
    public HeadAgreement? Head { get; init; }

    /// <summary>Things worth knowing that do not decide the outcome (fingerprint or numerics differences, head provenance).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>The thresholds not met, in words; empty when the deployment reproduces the cache.</summary>
    public IReadOnlyList<string> FailedChecks
    {
        get
        {
            var failed = new List<string>();
            if (Compared == 0) failed.Add($"none of the {Sampled} sampled inputs could be re-embedded here");
            if (Embeddings is { } e && e.MinCosine < Options.MinCosine)
                failed.Add(string.Create(CultureInfo.InvariantCulture, $"min cosine {e.MinCosine:F6} is below {Options.MinCosine}"));
            if (Head is { } h && h.Top1Agreement < Options.MinTop1Agreement)
                failed.Add(string.Create(CultureInfo.InvariantCulture, $"top-1 agreement {h.Top1Agreement * 100:F2}% ({h.Disagreements} of {Compared} differ) is below {Options.MinTop1Agreement * 100:F2}%"));
            return failed;
        }
    }

    public bool Passed => FailedChecks.Count == 0;
}
