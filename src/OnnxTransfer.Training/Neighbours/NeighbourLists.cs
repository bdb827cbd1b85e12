namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// The nearest references of each query, as plain row-major arrays: query <c>q</c>'s neighbours are
/// <c>Indices[q·K .. q·K+K)</c> (reference row numbers) with their cosines in the same places of <c>Cosines</c>,
/// most similar first; equal cosines are ordered by the smaller reference row number. Every query has exactly
/// <see cref="K"/> neighbours: the requested k, or fewer when there are fewer candidates.
/// </summary>
public sealed record NeighbourLists(int QueryCount, int K, int[] Indices, float[] Cosines)
{
    /// <summary>Reference row of the <paramref name="rank"/>-th (0 = nearest) neighbour of <paramref name="query"/>.</summary>
    public int Index(int query, int rank) => Indices[query * K + rank];

    /// <summary>Cosine of the <paramref name="rank"/>-th (0 = nearest) neighbour of <paramref name="query"/>.</summary>
    public float Cosine(int query, int rank) => Cosines[query * K + rank];
}
