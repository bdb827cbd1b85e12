using System.Buffers;
using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// Exact cosine k-nearest-neighbour search over rows of unit length: every query is compared with every reference,
/// so nothing is approximate. The similarity matrix is never held whole: a block of queries times a block of references
/// is one BLAS multiply (<c>Q·Rᵀ</c>) into a reused scratch tile, and each query keeps its k best in a bounded heap.
/// Query blocks run in parallel; block sizes depend only on the problem, so results do not depend on the thread count.
/// </summary>
/// <remarks>
/// <para>API (stable, used by the audit and the kNN heads):</para>
/// <list type="bullet">
/// <item><see cref="NormalizeRows"/> scales each row of a row-major matrix to unit length in place (zero rows stay zero),
/// which turns dot products into cosines.</item>
/// <item><see cref="Search"/>(queries, references, dimension): the k nearest references of each query.</item>
/// <item><see cref="SearchWithin"/>(rows, dimension): the k nearest other rows of each row (a row is never its own
/// neighbour; an exact copy at another row still is).</item>
/// </list>
/// Inputs are row-major <c>float[]</c> of length rows × dimension and are not modified by the searches. Results are
/// <see cref="NeighbourLists"/>: most similar first, ties by the smaller reference row, exactly <c>min(k, candidates)</c>
/// per query. Rows that are not unit length give dot products, not cosines.
/// </remarks>
public sealed class CosineTopK
{
    /// <summary>Queries per tile: enough rows that one multiply amortises reading the reference block.</summary>
    public const int QueryBlockRows = 256;

    /// <summary>References per tile: a 256 × 2048 float tile is 2 MiB, which stays in a core's L2/L3.</summary>
    public const int ReferenceBlockRows = 2048;

    private readonly ComputeOptions compute;

    /// <param name="k">Neighbours per query (≥ 1); fewer are returned where there are fewer candidates.</param>
    /// <param name="compute">BLAS backend and threads; null means <see cref="ComputeOptions.Default"/>.</param>
    public CosineTopK(int k, ComputeOptions? compute = null)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        K = k;
        this.compute = compute ?? ComputeOptions.Default;
    }

    public int K { get; }

    /// <summary>Scales each row of <paramref name="rows"/> (row-major, <paramref name="dimension"/> wide) to unit L2 length in place; all-zero rows are left zero.</summary>
    public static void NormalizeRows(Span<float> rows, int dimension)
    {
        CheckShape(rows.Length, dimension, "rows");
        for (int start = 0; start < rows.Length; start += dimension)
        {
            var row = rows.Slice(start, dimension);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
    }

    /// <summary>The <see cref="K"/> nearest rows of <paramref name="references"/> for each row of <paramref name="queries"/>.</summary>
    public NeighbourLists Search(float[] queries, float[] references, int dimension) =>
        Run(queries, references, dimension, excludeSelf: false);

    /// <summary>The <see cref="K"/> nearest other rows of <paramref name="rows"/> for each of its rows (row i is never i's neighbour).</summary>
    public NeighbourLists SearchWithin(float[] rows, int dimension) => Run(rows, rows, dimension, excludeSelf: true);

    private NeighbourLists Run(float[] queries, float[] references, int dimension, bool excludeSelf)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(references);
        CheckShape(queries.Length, dimension, nameof(queries));
        CheckShape(references.Length, dimension, nameof(references));
        int queryCount = queries.Length / dimension, referenceCount = references.Length / dimension;
        int k = Math.Max(0, Math.Min(K, referenceCount - (excludeSelf ? 1 : 0)));
        var indices = new int[(long)queryCount * k];
        var cosines = new float[(long)queryCount * k];
        if (k == 0 || queryCount == 0) return new NeighbourLists(queryCount, k, indices, cosines);

        var context = compute.CreateContext();
        int queryBlocks = (queryCount + QueryBlockRows - 1) / QueryBlockRows;
        context.For(queryBlocks, block =>
        {
            int firstQuery = block * QueryBlockRows, blockQueries = Math.Min(QueryBlockRows, queryCount - firstQuery);
            var tile = ArrayPool<float>.Shared.Rent(QueryBlockRows * ReferenceBlockRows);
            var filled = new int[blockQueries];
            try
            {
                for (int firstReference = 0; firstReference < referenceCount; firstReference += ReferenceBlockRows)
                {
                    int blockReferences = Math.Min(ReferenceBlockRows, referenceCount - firstReference);
                    // tile[q × r] = Q_block · R_blockᵀ: one single-threaded multiply per tile.
                    context.Blas.Sgemm(false, true, blockQueries, blockReferences, dimension, 1f,
                        queries.AsSpan(firstQuery * dimension, blockQueries * dimension), dimension,
                        references.AsSpan(firstReference * dimension, blockReferences * dimension), dimension,
                        0f, tile, blockReferences);
                    for (int q = 0; q < blockQueries; q++)
                    {
                        int query = firstQuery + q;
                        var heap = Heap(indices, cosines, query, k, filled[q]);
                        var similarities = tile.AsSpan(q * blockReferences, blockReferences);
                        float floor = heap.Floor;
                        for (int r = 0; r < similarities.Length; r++)
                        {
                            float cosine = similarities[r];
                            if (cosine < floor) continue;
                            int reference = firstReference + r;
                            if (excludeSelf && reference == query) continue;
                            heap.Offer(cosine, reference);
                            floor = heap.Floor;
                        }
                        filled[q] = heap.Count;
                    }
                }
                for (int q = 0; q < blockQueries; q++) Heap(indices, cosines, firstQuery + q, k, filled[q]).SortDescending();
            }
            finally
            {
                ArrayPool<float>.Shared.Return(tile);
            }
        });
        return new NeighbourLists(queryCount, k, indices, cosines);
    }

    private static BoundedTopK Heap(int[] indices, float[] cosines, int query, int k, int filled) =>
        new(indices.AsSpan(query * k, k), cosines.AsSpan(query * k, k), filled);

    private static void CheckShape(int length, int dimension, string name)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The row dimension must be at least 1.");
        if (length % dimension != 0)
            throw new ArgumentException($"{name} holds {length} floats, which is not a whole number of rows of {dimension}.", name);
    }
}
