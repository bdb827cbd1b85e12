using System.Globalization;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Selection;

/// <summary>What a sweep scores candidates by.</summary>
public enum SelectionMetric { Accuracy, BalancedAccuracy, MacroF1, LogLoss }

/// <summary>
/// How a sweep estimates generalisation from the training split alone: stratified k-fold cross-validation (default
/// 5 folds) or one stratified held-out share. A sweep given an explicit validation split uses that instead.
/// </summary>
public sealed record ValidationScheme
{
    /// <summary>Folds of k-fold cross-validation (when <see cref="HoldOutFraction"/> is null).</summary>
    public int Folds { get; init; } = 5;

    /// <summary>When set, one stratified held-out share of the training split replaces the folds.</summary>
    public double? HoldOutFraction { get; init; }

    /// <summary>Seeds the fold assignment / hold-out draw.</summary>
    public int Seed { get; init; }

    public static ValidationScheme KFold(int folds = 5, int seed = 0) => new() { Folds = folds, Seed = seed };

    public static ValidationScheme HoldOut(double fraction = 0.2, int seed = 0) => new() { HoldOutFraction = fraction, Seed = seed };

    public void Validate()
    {
        if (HoldOutFraction is double fraction)
        {
            if (!(fraction > 0 && fraction < 1))
                throw new ArgumentOutOfRangeException(nameof(HoldOutFraction), fraction, "HoldOutFraction must be within (0, 1), e.g. 0.2.");
        }
        else if (Folds < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Folds), Folds, "Cross-validation needs at least 2 folds (5 is usual).");
        }
    }

    public string Describe() => HoldOutFraction is double fraction
        ? $"stratified hold-out of {fraction.ToString(CultureInfo.InvariantCulture)} of the training split (seed {Seed})"
        : $"stratified {Folds}-fold cross-validation on the training split (seed {Seed})";

    /// <summary>(trained-on rows, held-out rows) per fold.</summary>
    internal List<(int[] Train, int[] HeldOut)> Partitions(EmbeddingSet train) => Partitions(train.Labelled);

    /// <summary>
    /// The fold that holds out each row of <paramref name="train"/> (k-fold only), as the trainer cuts them: what a peer
    /// (scikit-learn's PredefinedSplit) needs to cross-validate on the very same folds.
    /// </summary>
    public int[] HeldOutFold(EmbeddingSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (HoldOutFraction is not null) throw new InvalidOperationException("A hold-out scheme has no folds; use KFold.");
        var fold = new int[train.Count];
        var partitions = Partitions(train.Labelled);
        for (int k = 0; k < partitions.Count; k++)
            foreach (var row in partitions[k].HeldOut) fold[row] = k;
        return fold;
    }

    internal List<(int[] Train, int[] HeldOut)> Partitions(LabelledRows train)
    {
        if (HoldOutFraction is double fraction)
        {
            var (kept, heldOut) = StratifiedSplit.HoldOut(train, fraction, Seed);
            if (heldOut.Length == 0)
                throw new TrainingDataException($"A hold-out of {fraction} leaves no validation rows in split '{train.Name}'; use a larger fraction or k-fold.", train.Name);
            return [(kept, heldOut)];
        }
        var assignment = StratifiedSplit.Folds(train, Folds, Seed);
        var partitions = new List<(int[], int[])>(Folds);
        for (int fold = 0; fold < Folds; fold++) partitions.Add(StratifiedSplit.FoldRows(assignment, fold));
        return partitions;
    }
}
