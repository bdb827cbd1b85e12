namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// The score early stopping ranks epochs by, from the validation rows' confusion counts (row = true class, column =
/// predicted): accuracy, balanced accuracy (mean recall over the classes present) or macro-F1 (mean F1 over the classes
/// that occur or are predicted), as <c>ClassificationMetrics</c> defines them, so <c>--select-metric</c> means the same
/// in the softmax path search and in the MLP's early stopping.
/// </summary>
internal static class EarlyStoppingScore
{
    public static double From(ReadOnlySpan<int> confusion, int classes, EarlyStoppingMonitor monitor)
    {
        long total = 0, correct = 0;
        double recallSum = 0, f1Sum = 0;
        int present = 0, f1Classes = 0;
        for (int c = 0; c < classes; c++)
        {
            long support = 0, predicted = 0;
            for (int k = 0; k < classes; k++)
            {
                support += confusion[c * classes + k];
                predicted += confusion[k * classes + c];
            }
            long hits = confusion[c * classes + c];
            total += support;
            correct += hits;
            if (support + predicted > 0)
            {
                f1Classes++;
                f1Sum += 2.0 * hits / (support + predicted);
            }
            if (support == 0) continue;
            present++;
            recallSum += (double)hits / support;
        }
        if (total == 0) return double.NaN;
        return monitor switch
        {
            EarlyStoppingMonitor.BalancedAccuracy => recallSum / present,
            EarlyStoppingMonitor.MacroF1 => f1Sum / f1Classes,
            _ => (double)correct / total,
        };
    }
}
