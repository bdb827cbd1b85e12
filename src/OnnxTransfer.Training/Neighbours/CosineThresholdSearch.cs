using System.Buffers;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// Which rows have a neighbour at cosine ≥ a threshold, and the nearest such neighbour: the question of the audit's
/// near-duplicate and leakage checks, answered exactly and without comparing every pair in full. Three looks at a pair,
/// each an upper bound with every rounding error counted, so a pair dropped by one cannot reach the threshold:
/// <list type="number">
/// <item>its sketches (<see cref="RowSketches"/>: coordinates on 64 principal directions plus a bound on the rest),
/// screened for all pairs tile by tile (<see cref="PairScreen"/>; within one set only the upper triangle);</item>
/// <item>for the few that pass, its int8 rows (<see cref="QuantisedRows"/>), a bound within a few hundredths;</item>
/// <item>for the fewer still, its cosine in full (<see cref="ExactDot"/>: double sums in one fixed order, rounded to
/// float, the same bits on every CPU path), kept when it reaches the threshold (<see cref="PairChecker"/>).</item>
/// </list>
/// So the answer is that of comparing every pair in full: how much the bounds prune depends on the data, the result
/// does not (nor on the thread count, the BLAS backend or the CPU's instruction set).
/// </summary>
/// <remarks>Rows should be unit length (<see cref="CosineTopK.NormalizeRows"/>); otherwise "cosine" means dot product.</remarks>
public sealed class CosineThresholdSearch
{
    /// <summary>Rows per tile side: a 512 × 512 float tile is 1 MiB, a core's L2.</summary>
    internal const int BlockRows = 512;

    /// <summary>Blocks per side of a tile group (<see cref="TileOrder"/>).</summary>
    private const int GroupBlocks = 4;

    private readonly ComputeOptions compute;

    /// <param name="threshold">The cosine a neighbour must reach, in (−1, 1].</param>
    /// <param name="compute">BLAS backend and threads; null means <see cref="ComputeOptions.Default"/>.</param>
    public CosineThresholdSearch(double threshold, ComputeOptions? compute = null)
    {
        if (!(threshold > -1 && threshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold is a cosine in (-1, 1].");
        Threshold = threshold;
        this.compute = compute ?? ComputeOptions.Default;
    }

    public double Threshold { get; }

    /// <summary>Principal directions in a sketch (tests and the bench set it; the result never depends on it).</summary>
    internal int Directions { get; init; } = 64;

    /// <summary>Below this many rows in all, the rows are their own sketches: projecting would cost more than it saves.</summary>
    internal int MinimumRowsToProject { get; init; } = 4096;

    /// <summary>Plain C# everywhere (no AVX-512, AVX2 or VNNI kernels), as on a CPU without them: tests compare the two.</summary>
    internal bool PortableOnly { get; init; }

    /// <summary>For each row of <paramref name="rows"/>, its nearest other row at cosine ≥ <see cref="Threshold"/> (a row is never its own neighbour; an exact copy at another row is).</summary>
    public NearestAbove Within(float[] rows, int dimension)
    {
        ArgumentNullException.ThrowIfNull(rows);
        CheckShape(rows.Length, dimension, nameof(rows));
        var context = compute.CreateContext();
        var sketches = RowSketches.Build(rows, dimension, Basis(rows, rows.Length / dimension, dimension, context), context);
        return Run(rows, sketches, rows, sketches, dimension, within: true, context);
    }

    /// <summary>For each row of <paramref name="queries"/>, its nearest row of <paramref name="references"/> at cosine ≥ <see cref="Threshold"/>.</summary>
    public NearestAbove Across(float[] queries, float[] references, int dimension)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(references);
        CheckShape(queries.Length, dimension, nameof(queries));
        CheckShape(references.Length, dimension, nameof(references));
        var context = compute.CreateContext();
        var basis = Basis(references, (queries.Length + references.Length) / dimension, dimension, context);
        var querySketches = RowSketches.Build(queries, dimension, basis, context);
        var referenceSketches = RowSketches.Build(references, dimension, basis, context);
        return Run(queries, querySketches, references, referenceSketches, dimension, within: false, context);
    }

    private float[]? Basis(float[] rows, int totalRows, int dimension, ComputeContext context) =>
        totalRows >= MinimumRowsToProject && dimension > 2 * Directions && rows.Length > 0
            ? ProjectionBasis.Fit(rows, dimension, Directions, context)
            : null;

    private NearestAbove Run(float[] queries, RowSketches querySketches, float[] references, RowSketches referenceSketches,
        int dimension, bool within, ComputeContext context)
    {
        int queryCount = queries.Length / dimension, referenceCount = references.Length / dimension;
        float floor = Floor(querySketches.Margin(referenceSketches));
        bool vectorPaths = !PortableOnly;
        var quantisedQueries = new QuantisedRows(queries, dimension, context.For, vectorPaths);
        var quantisedReferences = within ? quantisedQueries : new QuantisedRows(references, dimension, context.For, vectorPaths);
        var checker = new PairChecker(queries, quantisedQueries, references, quantisedReferences, dimension, Threshold,
            ExactFloor(Threshold), within, vectorPaths);
        var panels = vectorPaths && PairScreen.FusedAvailable ? PairScreen.Pack(referenceSketches) : null;
        var tiles = TileOrder(Blocks(queryCount), Blocks(referenceCount), within);
        long candidates = 0, exact = 0;
        context.For(tiles.Length, t =>
        {
            var (a, b) = tiles[t];
            int firstQuery = a * BlockRows, rowsA = Math.Min(BlockRows, queryCount - firstQuery);
            int firstReference = b * BlockRows, rowsB = Math.Min(BlockRows, referenceCount - firstReference);
            bool diagonal = within && a == b;
            (long Candidates, long Exact) counts;
            if (panels is not null)
            {
                counts = PairScreen.FusedTile(querySketches.Values, firstQuery, rowsA, panels, firstReference, rowsB,
                    querySketches.Width, floor, diagonal, checker);
            }
            else
            {
                var bounds = ArrayPool<float>.Shared.Rent(rowsA * rowsB);
                try
                {
                    counts = PairScreen.BlasTile(context, querySketches, firstQuery, rowsA, referenceSketches, firstReference, rowsB,
                        floor, diagonal, checker, bounds);
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(bounds);
                }
            }
            Interlocked.Add(ref candidates, counts.Candidates);
            Interlocked.Add(ref exact, counts.Exact);
        });
        return checker.Results(candidates, exact);
    }

    /// <summary>
    /// Tiles (a, b) of query block a and reference block b (within one set only b ≥ a), grouped into squares of
    /// <see cref="GroupBlocks"/> × <see cref="GroupBlocks"/> tiles: the workers take tiles in this order, so the full rows
    /// the checks read (a few MiB per group) stay in the shared cache while a group is worked on.
    /// </summary>
    private static (int A, int B)[] TileOrder(int queryBlocks, int referenceBlocks, bool within)
    {
        var tiles = new List<(int, int)>();
        for (int groupA = 0; groupA < queryBlocks; groupA += GroupBlocks)
            for (int groupB = within ? groupA : 0; groupB < referenceBlocks; groupB += GroupBlocks)
                for (int a = groupA; a < Math.Min(queryBlocks, groupA + GroupBlocks); a++)
                    for (int b = Math.Max(groupB, within ? a : 0); b < Math.Min(referenceBlocks, groupB + GroupBlocks); b++)
                        tiles.Add((a, b));
        return tiles.ToArray();
    }

    /// <summary>
    /// The screened value a pair needs to be checked in full: the threshold, less what rounding the full cosine to float
    /// can add and less <paramref name="margin"/>, rounded down to a float.
    /// </summary>
    private float Floor(double margin)
    {
        double floor = ExactFloor(Threshold) - margin;
        float single = (float)floor;
        return single > floor ? MathF.BitDecrement(single) : single;
    }

    /// <summary>
    /// What a double sum must reach for its float rounding to reach <paramref name="threshold"/>, with room to spare:
    /// twice the half float step near it, and 1e-40 for the steps of subnormal floats near 0. The double sum's own
    /// error (relative to ‖x‖‖y‖) is left to each bound.
    /// </summary>
    private static double ExactFloor(double threshold) => threshold - Math.Abs(threshold) * 2.0 / (1 << 23) - 1e-40;

    private static int Blocks(int rows) => (rows + BlockRows - 1) / BlockRows;

    private static void CheckShape(int length, int dimension, string name)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The row dimension must be at least 1.");
        if (length % dimension != 0)
            throw new ArgumentException($"{name} holds {length} floats, which is not a whole number of rows of {dimension}.", name);
    }
}
