using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// Learns an <see cref="OodDetector"/> for a trained head on its training split: the Mahalanobis summary (when that is
/// the method) on every training row, and the threshold at the target false-positive rate on out-of-fold scores of the
/// same rows — each fold scored by a summary or head fitted on the other folds, so the threshold sees rows its scorer
/// never saw, and no evaluation row at all.
/// </summary>
public sealed class OodFitter
{
    public const double DefaultFalsePositiveRate = 0.05;

    public OodFitter(string method, double targetFalsePositiveRate = DefaultFalsePositiveRate, int folds = OodThreshold.DefaultFolds)
    {
        if (!OodMethod.IsKnown(method) || method == OodMethod.None)
            throw new ArgumentException($"Unknown OOD method '{method}'; use {OodMethod.Mahalanobis}, {OodMethod.Energy} or {OodMethod.MaxSoftmax}.", nameof(method));
        if (!(targetFalsePositiveRate > 0 && targetFalsePositiveRate < 1))
            throw new ArgumentOutOfRangeException(nameof(targetFalsePositiveRate), targetFalsePositiveRate, "The target false-positive rate must lie in (0, 1), e.g. 0.05.");
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "Out-of-fold scores need at least 2 folds.");
        Method = method;
        TargetFalsePositiveRate = targetFalsePositiveRate;
        Folds = folds;
    }

    public string Method { get; }

    public double TargetFalsePositiveRate { get; }

    public int Folds { get; }

    /// <summary>Whether the method applies to a head of <paramref name="kind"/>; null if it does, else why not.</summary>
    public static string? Refusal(string method, string kind) =>
        method == OodMethod.Energy && kind == Head.NearestNeighboursKind
            ? "the k-NN head has no logits to take the energy of; use --ood mahalanobis or msp"
            : null;

    /// <summary>
    /// The detector of <paramref name="head"/>, trained on <paramref name="train"/>. <paramref name="refit"/> fits a head
    /// of the same kind and settings (without selection or calibration) on a fold's rows; it is used for the logit-based
    /// methods only. A calibrated head's temperature is applied to the fold heads' logits, so their scores are on the
    /// deployed head's scale.
    /// </summary>
    public OodDetector Fit(Head head, EmbeddingSet train, Func<EmbeddingSet, Head> refit, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(refit);
        if (Refusal(Method, head.Kind) is { } refusal) throw new ArgumentException(refusal);
        if (Method == OodMethod.Mahalanobis)
        {
            // The summary's own space: the head's L2 normalisation, not its standardisation (whitening rescales anyway).
            var preprocessing = new FeaturePreprocessing(head.Preprocessing.L2Normalize, null, null);
            var fitter = new MahalanobisOod();
            var outOfFold = OodThreshold.OutOfFoldScores(train, preprocessing, fitter, Folds, compute, out var summary);
            return new OodDetector(Method, OodThreshold.AtFalsePositiveRate(outOfFold, TargetFalsePositiveRate), TargetFalsePositiveRate, summary);
        }
        double temperature = head.Training?.Calibration?.Temperature ?? 1;
        var scores = OodThreshold.OutOfFoldScores(train, Folds,
            (fit, held) => OodDetector.Scores(Method, refit(fit), held, null, compute, temperature));
        return new OodDetector(Method, OodThreshold.AtFalsePositiveRate(scores, TargetFalsePositiveRate), TargetFalsePositiveRate, null);
    }
}
