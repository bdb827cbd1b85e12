using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Evaluation;

/// <summary>
/// Test-time augmentation over cached views (<c>extract --views</c>): a head scored on inputs, each input's
/// probabilities the mean of the head's probabilities over its views' rows. What a fused model composed with
/// <c>compose --tta</c> computes inside its graph, so a deployment gets the accuracy reported here.
/// </summary>
public static class TestTimeAugmentation
{
    /// <summary>The name the metrics of <paramref name="split"/> scored this way carry ("val (tta)").</summary>
    public static string SplitName(string split) => $"{split} (tta)";

    /// <summary>Scores <paramref name="head"/> on the inputs of <paramref name="split"/>, each the mean over its views.</summary>
    /// <exception cref="ArgumentException">The split's rows are not grouped by input (not every view of a dataset with views).</exception>
    /// <exception cref="TrainingDataException">Dimension mismatch, or labels the head does not know.</exception>
    public static ClassificationMetrics Evaluate(Head head, TrainingData split, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(split);
        if (split.GroupArray is not { } groups)
            throw new ArgumentException($"Split '{split.Name}' has no views grouped by input; load it with ViewRows.All from a cache extracted with --views.", nameof(split));
        head.CheckDimension(split);
        var aligned = split.WithClasses(head.Labels);
        var (mean, truth) = MeanOverViews(head.PredictProba(aligned, compute), head.Labels.Count, groups, aligned.LabelIndices);
        return ClassificationMetrics.Compute(SplitName(split.Name), head.Labels, truth, mean);
    }

    /// <summary>
    /// Per input (in order of first appearance in <paramref name="groups"/>), the mean of the probability rows of its
    /// views, and its class. Inputs with fewer views (a cache whose views are still being added) average what they have.
    /// </summary>
    public static (float[] Probabilities, int[] Truth) MeanOverViews(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<int> groups, ReadOnlySpan<int> labels)
    {
        var inputOf = new Dictionary<int, int>();
        foreach (var group in groups) inputOf.TryAdd(group, inputOf.Count);
        var sums = new float[inputOf.Count * classes];
        var views = new int[inputOf.Count];
        var truth = new int[inputOf.Count];
        for (int row = 0; row < groups.Length; row++)
        {
            int input = inputOf[groups[row]];
            System.Numerics.Tensors.TensorPrimitives.Add(sums.AsSpan(input * classes, classes), probabilities.Slice(row * classes, classes), sums.AsSpan(input * classes, classes));
            views[input]++;
            truth[input] = labels[row];
        }
        for (int input = 0; input < views.Length; input++)
            System.Numerics.Tensors.TensorPrimitives.Divide(sums.AsSpan(input * classes, classes), views[input], sums.AsSpan(input * classes, classes));
        return (sums, truth);
    }
}
