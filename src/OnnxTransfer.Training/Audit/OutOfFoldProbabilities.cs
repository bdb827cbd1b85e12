using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// Every row's class probabilities from a head that never saw it: the rows are dealt into stratified folds, a head is
/// fitted on all folds but one and scores the one left out.
/// </summary>
internal static class OutOfFoldProbabilities
{
    /// <returns>rows × classes, columns in <c>set.Classes</c> order.</returns>
    public static float[] Compute(EmbeddingSet set, AuditSettings settings)
    {
        int classes = set.Classes.Count;
        var assignment = StratifiedSplit.Folds(set, settings.Folds, settings.Seed);
        var probabilities = new float[set.Count * classes];
        var trainer = new SoftmaxRegressionTrainer(settings.Softmax, settings.Compute);
        for (int fold = 0; fold < settings.Folds; fold++)
        {
            var (trainRows, heldOutRows) = StratifiedSplit.FoldRows(assignment, fold);
            var head = trainer.Fit(set.Select(trainRows, $"{set.Name} without fold {fold + 1}"));
            var heldOut = set.Select(heldOutRows, $"{set.Name} fold {fold + 1}");
            var scored = head.PredictProba(heldOut, settings.Compute);
            // The head's columns follow its labels; map them onto the set's class order by name.
            var column = new int[classes];
            for (int c = 0; c < classes; c++) column[c] = IndexOf(head.Labels, set.Classes[c]);
            for (int i = 0; i < heldOutRows.Length; i++)
            {
                var target = probabilities.AsSpan(heldOutRows[i] * classes, classes);
                for (int c = 0; c < classes; c++) target[c] = scored[i * head.Labels.Count + column[c]];
            }
        }
        return probabilities;
    }

    private static int IndexOf(IReadOnlyList<string> labels, string label)
    {
        for (int i = 0; i < labels.Count; i++)
            if (string.Equals(labels[i], label, StringComparison.Ordinal)) return i;
        throw new InvalidOperationException($"A fold head has no output for class '{label}'.");
    }
}
