namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// For each query row, its nearest reference row when that one lies at cosine ≥ the threshold: <c>Neighbours[q]</c> is
/// the reference row (−1 when none reaches the threshold) and <c>Cosines[q]</c> the cosine (NaN when none). Equal
/// cosines go to the smaller reference row, as in <see cref="CosineTopK"/>. How much work the bounds saved:
/// <see cref="CandidatePairs"/> pairs were not ruled out by their sketches, and of those <see cref="ExactChecks"/> were
/// not ruled out by their int8 rows either and had their cosine computed in full.
/// </summary>
public sealed record NearestAbove(int[] Neighbours, float[] Cosines, long CandidatePairs, long ExactChecks)
{
    public int QueryCount => Neighbours.Length;
}
