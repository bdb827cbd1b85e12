using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Audit;

/// <summary>What an audit computes (settings only; <see cref="DataAudit.Run"/> returns what it found).</summary>
public sealed record AuditSettings
{
    /// <summary>
    /// Cosine at or above which two rows are called copies. Measured on the hymenoptera cache (MobileNetV2-int8): the
    /// nearest distinct photo of a training image lies at cosine 0.79 (median) and at most 0.879 (0.875 from val to
    /// train), while an exact copy gives 1. 0.95 sits well above every distinct pair and leaves room for a copy that was
    /// re-encoded or slightly resized (how far such copies drift depends on the backbone: set it with the option).
    /// </summary>
    public const double DefaultDuplicateThreshold = 0.95;

    /// <summary>Folds of the out-of-fold probabilities (stratified, seeded).</summary>
    public int Folds { get; init; } = 5;

    public int Seed { get; init; }

    /// <summary>
    /// The fold heads: softmax regression at scikit-learn's default C = 1 on standardised features, as cleanlab's own
    /// examples use. A fixed C keeps the audit one fit per fold (a C search would nest another cross-validation inside
    /// every fold) and, since the probabilities are out-of-fold, a head that fits its folds closely cannot hide a
    /// flipped row: that row is never in the fold that scores it.
    /// </summary>
    public SoftmaxRegressionSettings Softmax { get; init; } = new() { C = 1.0 };

    /// <inheritdoc cref="DefaultDuplicateThreshold"/>
    public double DuplicateThreshold { get; init; } = DefaultDuplicateThreshold;

    /// <summary>Bootstrap resamples for the confidence intervals of per-slice accuracy.</summary>
    public int BootstrapSamples { get; init; } = 1000;

    public ComputeOptions Compute { get; init; } = ComputeOptions.Default;

    internal void Validate()
    {
        if (Folds < 2) throw new ArgumentOutOfRangeException(nameof(Folds), Folds, "The audit needs at least 2 folds (5 is usual).");
        if (!(DuplicateThreshold > -1 && DuplicateThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(DuplicateThreshold), DuplicateThreshold, "The duplicate threshold is a cosine in (-1, 1], e.g. 0.95.");
        if (BootstrapSamples < 100) throw new ArgumentOutOfRangeException(nameof(BootstrapSamples), BootstrapSamples, "Use at least 100 bootstrap resamples.");
        Softmax.Validate();
    }
}
