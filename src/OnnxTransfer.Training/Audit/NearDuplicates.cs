using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// Copies by nearest neighbour on unit embeddings: a row whose nearest other row (in the same split, or in the training
/// split for an evaluation row) lies at cosine ≥ the threshold. Exact (every pair is compared, <see cref="CosineTopK"/>).
/// </summary>
public static class NearDuplicates
{
    /// <summary>Rows of <paramref name="rows"/> whose nearest other row is at cosine ≥ <paramref name="threshold"/>. Both rows of a pair are reported, each naming the other.</summary>
    /// <param name="rows">row-major, unit length (see <see cref="CosineTopK.NormalizeRows"/>).</param>
    public static IReadOnlyList<NeighbourMatch> Within(float[] rows, int dimension, double threshold, ComputeOptions? compute = null) =>
        Matches(new CosineTopK(1, compute).SearchWithin(rows, dimension), threshold);

    /// <summary>Rows of <paramref name="queries"/> whose nearest row of <paramref name="references"/> is at cosine ≥ <paramref name="threshold"/>.</summary>
    public static IReadOnlyList<NeighbourMatch> Across(float[] queries, float[] references, int dimension, double threshold, ComputeOptions? compute = null) =>
        Matches(new CosineTopK(1, compute).Search(queries, references, dimension), threshold);

    private static List<NeighbourMatch> Matches(NeighbourLists nearest, double threshold)
    {
        var matches = new List<NeighbourMatch>();
        if (nearest.K == 0) return matches;
        for (int q = 0; q < nearest.QueryCount; q++)
            if (nearest.Cosine(q, 0) >= threshold) matches.Add(new NeighbourMatch(q, nearest.Index(q, 0), nearest.Cosine(q, 0)));
        return matches;
    }
}

/// <summary>Row <paramref name="Row"/>'s nearest neighbour is reference row <paramref name="Neighbour"/> at <paramref name="Cosine"/>.</summary>
public readonly record struct NeighbourMatch(int Row, int Neighbour, float Cosine);
