using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// Balanced sampling for a full-batch fit (softmax regression has no mini-batches to draw class-balanced): every row
/// once, plus, for each smaller class, rows of that class drawn with replacement until it has as many as the largest
/// (imbalanced-learn's RandomOverSampler). Applied to the rows a fit trains on only, after folds and carve-outs are cut,
/// so a copy never sits on both sides of a held-out split.
/// </summary>
internal static class ClassOversampling
{
    /// <summary>Row positions of the oversampled split, ascending (repeats adjacent), drawn from the stream (seed).</summary>
    public static int[] Positions(LabelledRows rows, int seed)
    {
        var counts = rows.CountPerClass();
        int largest = counts.Max();
        var members = new List<int>[counts.Length];
        for (int c = 0; c < counts.Length; c++) members[c] = new List<int>(counts[c]);
        for (int i = 0; i < rows.Count; i++) members[rows.Labels[i]].Add(i);
        var positions = new List<int>(largest * counts.Length);
        positions.AddRange(Enumerable.Range(0, rows.Count));
        var random = DeterministicRandom.For(seed, 0x0E75A3UL);
        for (int c = 0; c < counts.Length; c++)
        {
            for (int k = counts[c]; k < largest && counts[c] > 0; k++) positions.Add(members[c][random.NextInt(counts[c])]);
        }
        var result = positions.ToArray();
        Array.Sort(result);
        return result;
    }
}
