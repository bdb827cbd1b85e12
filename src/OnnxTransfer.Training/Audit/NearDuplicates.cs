using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// Copies by nearest neighbour on unit embeddings: a row whose nearest other row (in the same split, or in the training
/// split for an evaluation row) lies at cosine ≥ the threshold. Exact: <see cref="CosineThresholdSearch"/> finds the
/// same pairs and neighbours as comparing every pair in full, ruling most pairs out by a bound first.
/// </summary>
public static class NearDuplicates
{
    /// <summary>Rows of <paramref name="rows"/> whose nearest other row is at cosine ≥ <paramref name="threshold"/>. Both rows of a pair are reported, each naming the other.</summary>
    /// <param name="rows">row-major, unit length (see <see cref="CosineTopK.NormalizeRows"/>).</param>
    public static IReadOnlyList<NeighbourMatch> Within(float[] rows, int dimension, double threshold, ComputeOptions? compute = null) =>
        Matches(new CosineThresholdSearch(threshold, compute).Within(rows, dimension));

    /// <summary>Rows of <paramref name="queries"/> whose nearest row of <paramref name="references"/> is at cosine ≥ <paramref name="threshold"/>.</summary>
    public static IReadOnlyList<NeighbourMatch> Across(float[] queries, float[] references, int dimension, double threshold, ComputeOptions? compute = null) =>
        Matches(new CosineThresholdSearch(threshold, compute).Across(queries, references, dimension));

    private static List<NeighbourMatch> Matches(NearestAbove nearest)
    {
        var matches = new List<NeighbourMatch>();
        for (int q = 0; q < nearest.QueryCount; q++)
            if (nearest.Neighbours[q] >= 0) matches.Add(new NeighbourMatch(q, nearest.Neighbours[q], nearest.Cosines[q]));
        return matches;
    }
}

/// <summary>Row <paramref name="Row"/>'s nearest neighbour is reference row <paramref name="Neighbour"/> at <paramref name="Cosine"/>.</summary>
public readonly record struct NeighbourMatch(int Row, int Neighbour, float Cosine);
