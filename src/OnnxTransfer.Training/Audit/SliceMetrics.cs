using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// Accuracy of the out-of-fold predictions per value of a column (a slice), with a percentile-bootstrap 95% interval
/// per slice. A slice is flagged when even the top of its interval is below the accuracy of all rows: its errors are
/// concentrated there beyond what resampling explains.
/// </summary>
public static class SliceMetrics
{
    /// <summary>The name rows without a value are grouped under.</summary>
    public const string MissingValue = "(missing)";

    /// <param name="correct">per row: whether the out-of-fold prediction equals the given label.</param>
    /// <param name="values">per row: the slice value (null or empty: <see cref="MissingValue"/>).</param>
    public static SliceReport Evaluate(string column, ReadOnlySpan<bool> correct, IReadOnlyList<string?> values, int bootstrapSamples, int seed)
    {
        if (values.Count != correct.Length) throw new ArgumentException($"{values.Count} slice values for {correct.Length} rows.", nameof(values));
        var bySlice = new SortedDictionary<string, (int Rows, int Correct)>(StringComparer.Ordinal);
        int totalCorrect = 0;
        for (int r = 0; r < correct.Length; r++)
        {
            var key = string.IsNullOrEmpty(values[r]) ? MissingValue : values[r]!;
            bySlice.TryGetValue(key, out var tally);
            bySlice[key] = (tally.Rows + 1, tally.Correct + (correct[r] ? 1 : 0));
            if (correct[r]) totalCorrect++;
        }
        double overall = correct.Length == 0 ? double.NaN : (double)totalCorrect / correct.Length;
        var random = DeterministicRandom.For(seed, 0xB0075);
        var slices = new List<SliceAccuracy>(bySlice.Count);
        foreach (var (name, (rows, right)) in bySlice)
        {
            var (low, high) = BootstrapInterval(rows, right, bootstrapSamples, random);
            slices.Add(new SliceAccuracy(name, rows, rows - right, (double)right / rows, low, high, high < overall));
        }
        return new SliceReport(column, correct.Length, overall, slices);
    }

    /// <summary>
    /// 2.5th and 97.5th percentiles of the accuracy of <paramref name="samples"/> resamples (with replacement) of a
    /// slice's rows. Only the count of correct rows in a resample matters, so each draw is one uniform number.
    /// </summary>
    private static (double Low, double High) BootstrapInterval(int rows, int correct, int samples, DeterministicRandom random)
    {
        var accuracies = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            int hits = 0;
            for (int i = 0; i < rows; i++)
                if (random.NextInt(rows) < correct) hits++;
            accuracies[s] = (double)hits / rows;
        }
        Array.Sort(accuracies);
        return (Percentile(accuracies, 0.025), Percentile(accuracies, 0.975));
    }

    private static double Percentile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}

/// <summary>Per-slice accuracy of one column.</summary>
public sealed record SliceReport(string Column, int Rows, double Accuracy, IReadOnlyList<SliceAccuracy> Slices);

/// <param name="Concentrated">the upper end of the interval is below the accuracy of all rows.</param>
public sealed record SliceAccuracy(string Value, int Rows, int Errors, double Accuracy, double Low, double High, bool Concentrated);
