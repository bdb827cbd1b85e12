using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// How the OOD score of a class the model has never seen: the evaluation split's rows of <see cref="Class"/> against its
/// other rows, scored by a detector learned without that class.
/// </summary>
/// <param name="InRows">Evaluation rows of the other classes (in distribution).</param>
/// <param name="HeldOutRows">Evaluation rows of the held-out class.</param>
/// <param name="Auroc">AUROC of held-out rows over in-distribution rows.</param>
/// <param name="HeldOutFlagged">Share of held-out rows above that detector's own threshold.</param>
/// <param name="InFlagged">Share of in-distribution rows above it (its realised false-positive rate).</param>
public sealed record OodHoldoutResult(string Class, int InRows, int HeldOutRows, double Auroc, double HeldOutFlagged, double InFlagged);

/// <summary>
/// The check an unseen class gives: one class is left out of the training split, a detector of the same method is
/// learned on the rest exactly as the deployed one was (summary, or a head refitted without the class for the logit
/// methods; threshold out of fold at the same target rate), and the evaluation split is scored with it. The deployed
/// head and detector are not changed: this only measures.
/// </summary>
public static class OodHoldout
{
    /// <exception cref="TrainingDataException">The class is not in the training split, the evaluation split lacks it or
    /// the other classes, or a logit method would be left with a one-class head.</exception>
    public static OodHoldoutResult Evaluate(OodFitter fitter, Head head, EmbeddingSet train, EmbeddingSet? evaluation, string heldOutClass,
        Func<EmbeddingSet, Head> refit, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(refit);
        if (!train.Classes.Contains(heldOutClass, StringComparer.Ordinal))
            throw new TrainingDataException($"--ood-holdout-class '{heldOutClass}' is not a class of the training split '{train.Name}' " +
                                            $"(classes: {string.Join(", ", train.Classes)}).", train.Name);
        if (evaluation is null)
            throw new TrainingDataException("--ood-holdout-class scores the held-out class's rows of the evaluation split, and this run has none: name one with --eval-split.", train.Name);
        var remaining = train.Classes.Where(c => c != heldOutClass).ToArray();
        if (fitter.Method != OodMethod.Mahalanobis && remaining.Length < 2)
            throw new TrainingDataException($"Holding out '{heldOutClass}' leaves one class ({remaining.Single()}), and the {fitter.Method} score needs a head " +
                                            "of two classes or more: use --ood mahalanobis for this check (a summary of one class works).", train.Name);

        var kept = train.Select(RowsWhere(train, label => label != heldOutClass), $"{train.Name} without {heldOutClass}").WithClasses(remaining);
        // The Mahalanobis summary only takes the head's L2 setting; the logit methods need a head that never saw the class.
        var keptHead = fitter.Method == OodMethod.Mahalanobis ? head : refit(kept);
        var detector = fitter.Fit(keptHead, kept, refit, compute);

        var inRows = RowsWhere(evaluation, label => label != heldOutClass);
        var outRows = RowsWhere(evaluation, label => label == heldOutClass);
        if (inRows.Length == 0 || outRows.Length == 0)
            throw new TrainingDataException($"--ood-holdout-class '{heldOutClass}': the evaluation split '{evaluation.Name}' needs rows of that class and of the others " +
                                            $"(it has {outRows.Length} and {inRows.Length}).", evaluation.Name);
        var inScores = detector.Score(keptHead, evaluation.Select(inRows, $"{evaluation.Name} without {heldOutClass}"), compute);
        var outScores = detector.Score(keptHead, evaluation.Select(outRows, $"{evaluation.Name} {heldOutClass}"), compute);
        return new OodHoldoutResult(heldOutClass, inRows.Length, outRows.Length, OodMetrics.Auroc(inScores, outScores),
            OodMetrics.FractionAbove(outScores, detector.Threshold), OodMetrics.FractionAbove(inScores, detector.Threshold));
    }

    private static int[] RowsWhere(EmbeddingSet set, Func<string, bool> keep) =>
        [.. Enumerable.Range(0, set.Count).Where(row => keep(set.LabelOf(row)))];
}
