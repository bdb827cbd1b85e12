using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// How a head's OOD score did on data it was not tuned on: the in-distribution evaluation split against a user-supplied
/// out-of-distribution set (optional) and against generated noise (<see cref="OodNoise"/>), as AUROC, and the share of
/// each set the learned threshold flags.
/// </summary>
public sealed record OodReport
{
    public required string Method { get; init; }

    public required float Threshold { get; init; }

    public required double TargetFalsePositiveRate { get; init; }

    /// <summary>The in-distribution split scored (the evaluation split); null when there is none.</summary>
    public string? EvaluationSplit { get; init; }

    public int EvaluationRows { get; init; }

    /// <summary>Share of evaluation rows above the threshold: the realised false-positive rate.</summary>
    public double? EvaluationFlagged { get; init; }

    /// <summary>Where the out-of-distribution rows came from (the --ood-eval cache); null when none was given.</summary>
    public string? OodSource { get; init; }

    public int OodRows { get; init; }

    public double? OodAuroc { get; init; }

    public double? OodFlagged { get; init; }

    public int NoiseRows { get; init; }

    public double? NoiseAuroc { get; init; }

    public double? NoiseFlagged { get; init; }

    /// <summary>The held-out class check (<see cref="OodHoldout"/>); null when not asked for.</summary>
    public OodHoldoutResult? HeldOut { get; init; }

    /// <summary>
    /// Scores <paramref name="evaluation"/> (in-distribution), <paramref name="outOfDistribution"/> and noise matched to
    /// <paramref name="train"/>. Without an evaluation split only the threshold is reported.
    /// </summary>
    public static OodReport Evaluate(OodDetector detector, Head head, EmbeddingSet train, EmbeddingSet? evaluation,
        EmbeddingSet? outOfDistribution, string? oodSource, int seed, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(train);
        var report = new OodReport { Method = detector.Method, Threshold = detector.Threshold, TargetFalsePositiveRate = detector.TargetFalsePositiveRate };
        if (evaluation is null) return report;
        var inScores = detector.Score(head, evaluation, compute);
        var noise = detector.Score(head, OodNoise.Matched(train, OodNoise.DefaultRows, seed), compute);
        report = report with
        {
            EvaluationSplit = evaluation.Name, EvaluationRows = evaluation.Count,
            EvaluationFlagged = OodMetrics.FractionAbove(inScores, detector.Threshold),
            NoiseRows = noise.Length, NoiseAuroc = OodMetrics.Auroc(inScores, noise), NoiseFlagged = OodMetrics.FractionAbove(noise, detector.Threshold),
        };
        if (outOfDistribution is null) return report;
        var oodScores = detector.Score(head, outOfDistribution, compute);
        return report with
        {
            OodSource = oodSource, OodRows = oodScores.Length, OodAuroc = OodMetrics.Auroc(inScores, oodScores),
            OodFlagged = OodMetrics.FractionAbove(oodScores, detector.Threshold),
        };
    }

    /// <summary>One line per measured figure, for the summary and the report.</summary>
    public IEnumerable<string> Lines()
    {
        yield return $"OOD score: {Method}, threshold {Threshold:G6} (chosen at {TargetFalsePositiveRate:P1} false positives on out-of-fold training rows)";
        if (EvaluationSplit is null) { yield return "OOD: no evaluation split to measure on"; yield break; }
        yield return $"OOD flagged in '{EvaluationSplit}' (in-distribution, {EvaluationRows} rows): {EvaluationFlagged:P1}";
        if (OodSource is not null) yield return $"OOD AUROC '{EvaluationSplit}' vs {OodSource} ({OodRows} rows): {OodAuroc:F4}; flagged {OodFlagged:P1}";
        if (HeldOut is { } h)
            yield return $"OOD AUROC with class '{h.Class}' held out of training: its {h.HeldOutRows} '{EvaluationSplit}' rows vs the other {h.InRows}: {h.Auroc:F4}; " +
                         $"flagged {h.HeldOutFlagged:P1} (others {h.InFlagged:P1})";
        yield return $"OOD AUROC '{EvaluationSplit}' vs generated noise ({NoiseRows} rows matched to the training mean and spread): {NoiseAuroc:F4}; flagged {NoiseFlagged:P1}";
    }
}
