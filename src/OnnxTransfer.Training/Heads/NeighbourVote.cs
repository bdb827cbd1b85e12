namespace OnnxTransfer.Training.Heads;

/// <summary>
/// The last stage of a k-nearest-neighbour head, in place of the softmax: the head's one dense layer gives the cosine of
/// a unit query to every stored unit training row; this stage keeps the <see cref="K"/> most similar rows (ties: the
/// smaller row) and lets them vote for their labels. A neighbour's vote weighs <c>exp(Scale · cos)</c> normalised over
/// the k neighbours (a softmax over their similarities), so class c's probability is the summed weight of the
/// neighbours labelled c. Probabilities sum to 1 and a nearer neighbour counts more; Scale → 0 is the uniform vote of
/// scikit-learn's default. The ONNX export computes the same: TopK, Softmax(Scale·values), Gather of one-hot labels,
/// weighted sum (<c>Export.NeighbourVoteExport</c>).
/// </summary>
public sealed class NeighbourVote
{
    private readonly int[] _rowLabels;

    /// <param name="k">Neighbours that vote (≥ 1, at most the stored rows).</param>
    /// <param name="scale">Similarity sharpness of the vote weights (finite, ≥ 0).</param>
    /// <param name="rowLabels">The class index of each stored row, in the order of the dense layer's outputs.</param>
    /// <param name="classCount">Classes of the head.</param>
    public NeighbourVote(int k, double scale, IReadOnlyList<int> rowLabels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(rowLabels);
        if (rowLabels.Count == 0) throw new ArgumentException("A neighbour vote needs stored rows.", nameof(rowLabels));
        if (k < 1 || k > rowLabels.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be within 1..{rowLabels.Count} (the stored rows).");
        if (!(scale >= 0) || !double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The vote scale must be finite and ≥ 0.");
        foreach (var label in rowLabels)
            if ((uint)label >= (uint)classCount) throw new ArgumentException($"A stored row's class {label} is outside 0..{classCount - 1}.", nameof(rowLabels));
        K = k;
        Scale = scale;
        ClassCount = classCount;
        _rowLabels = rowLabels.ToArray();
    }

    public int K { get; }

    public double Scale { get; }

    public int ClassCount { get; }

    /// <summary>The class of each stored row.</summary>
    public IReadOnlyList<int> RowLabels => _rowLabels;

    public int RowCount => _rowLabels.Length;

    /// <summary>
    /// One query's class probabilities from its neighbours, best first (<paramref name="cosines"/> descending, as
    /// <c>CosineTopK</c> gives them): weights <c>exp(Scale·(cos − cos_best))</c>, normalised, summed per class.
    /// </summary>
    public void Vote(ReadOnlySpan<float> cosines, ReadOnlySpan<int> rows, Span<float> probabilities)
    {
        probabilities.Clear();
        // The first neighbour has the largest cosine: subtracting it keeps every exponent ≤ 0 (no overflow), as Softmax.
        float best = cosines[0], scale = (float)Scale, total = 0;
        Span<float> weights = stackalloc float[Math.Min(cosines.Length, 256)];
        if (cosines.Length > weights.Length) weights = new float[cosines.Length];
        for (int j = 0; j < cosines.Length; j++) total += weights[j] = MathF.Exp(scale * (cosines[j] - best));
        for (int j = 0; j < cosines.Length; j++) probabilities[_rowLabels[rows[j]]] += weights[j] / total;
    }
}
