using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The threshold above which a score is called out-of-distribution, chosen on in-distribution TRAINING rows the summary
/// was not fitted on (out-of-fold), never on the evaluation split: the smallest score that at most
/// <c>fpr</c> of those rows exceed.
/// </summary>
public static class OodThreshold
{
    public const int DefaultFolds = 5;

    /// <summary>The (1 − fpr) quantile of <paramref name="inDistributionScores"/>, taken as an order statistic.</summary>
    public static float AtFalsePositiveRate(ReadOnlySpan<float> inDistributionScores, double fpr)
    {
        if (!(fpr > 0 && fpr < 1)) throw new ArgumentOutOfRangeException(nameof(fpr), fpr, "The target false-positive rate must lie in (0, 1).");
        if (inDistributionScores.IsEmpty) throw new ArgumentException("No in-distribution scores to choose a threshold on.", nameof(inDistributionScores));
        var sorted = inDistributionScores.ToArray();
        Array.Sort(sorted);
        // Rows strictly above sorted[i] number at most n − 1 − i; the smallest i with n − 1 − i ≤ fpr·n.
        int n = sorted.Length;
        int index = Math.Clamp((int)Math.Ceiling(n - 1 - fpr * n), 0, n - 1);
        return sorted[index];
    }

    /// <summary>
    /// Out-of-fold Mahalanobis scores of every row of <paramref name="train"/>: each fold is scored by a summary fitted on
    /// the others (the folds of <see cref="OutOfFoldScores(EmbeddingSet, int, Func{EmbeddingSet, EmbeddingSet, float[]})"/>),
    /// the summaries made by <see cref="MahalanobisOod.FitOutOfFold"/> in one pass over all rows and one per fold.
    /// </summary>
    public static float[] OutOfFoldScores(EmbeddingSet train, FeaturePreprocessing preprocessing, MahalanobisOod fitter, int folds = DefaultFolds,
        ComputeOptions? compute = null) => OutOfFoldScores(train, preprocessing, fitter, folds, compute, out _);

    /// <summary>As above, with the summary of all rows that the same passes give (what <see cref="MahalanobisOod.Fit"/> returns).</summary>
    internal static float[] OutOfFoldScores(EmbeddingSet train, FeaturePreprocessing preprocessing, MahalanobisOod fitter, int folds,
        ComputeOptions? compute, out MahalanobisSummary allRows)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(fitter);
        var fold = AssignFolds(train, folds);
        var scores = new float[train.Count];
        allRows = fitter.FitOutOfFold(train, preprocessing, fold, folds, compute, (f, heldRows, summary) =>
        {
            var heldScores = summary.Score(train.Select(heldRows, $"{train.Name}-held{f}").Features, compute?.Blas);
            for (int i = 0; i < heldRows.Length; i++) scores[heldRows[i]] = heldScores[i];
        });
        return scores;
    }

    /// <summary>
    /// Out-of-fold scores of every row of <paramref name="train"/>: rows are dealt to <paramref name="folds"/> folds in
    /// order within each class (deterministic, stratified; the views of one input as one), and <paramref name="scoreHeld"/> scores each fold's rows with
    /// whatever it fits on the other folds' rows.
    /// </summary>
    public static float[] OutOfFoldScores(EmbeddingSet train, int folds, Func<EmbeddingSet, EmbeddingSet, float[]> scoreHeld)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(scoreHeld);
        var fold = AssignFolds(train, folds);
        var scores = new float[train.Count];
        for (int f = 0; f < folds; f++)
        {
            var fitRows = Enumerable.Range(0, train.Count).Where(r => fold[r] != f).ToArray();
            var heldRows = Enumerable.Range(0, train.Count).Where(r => fold[r] == f).ToArray();
            if (heldRows.Length == 0) continue;
            var heldScores = scoreHeld(train.Select(fitRows, $"{train.Name}-fit{f}"), train.Select(heldRows, $"{train.Name}-held{f}"));
            for (int i = 0; i < heldRows.Length; i++) scores[heldRows[i]] = heldScores[i];
        }
        return scores;
    }

    /// <summary>The fold of each row: dealt in order within each class, the views of one input (extract --views) together.</summary>
    internal static int[] AssignFolds(EmbeddingSet train, int folds)
    {
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "Out-of-fold scores need at least 2 folds.");
        var fold = new int[train.Count];
        var seen = new int[train.Classes.Count];
        // Views of one input share its fold: a held-out row scored by a summary fitted on its own mirror would look more
        // in-distribution than a new input does, and the threshold would come out too low.
        var inputOf = train.InputOfRow();
        var foldOfInput = new int[train.Count];
        Array.Fill(foldOfInput, -1);
        for (int r = 0; r < train.Count; r++)
        {
            ref var inputFold = ref foldOfInput[inputOf[r]];
            if (inputFold < 0) inputFold = seen[train.LabelArray[r]]++ % folds;
            fold[r] = inputFold;
        }
        return fold;
    }
}
