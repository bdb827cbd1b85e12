namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// The second and last look at a pair the sketches could not rule out: the int8 rows' bound (<see cref="QuantisedRows"/>),
/// then, if that still reaches the threshold, the cosine in full (<see cref="ExactDot"/>, rounded to float). A cosine
/// at or above the threshold is offered to the query's best-so-far (and, within one set, to the reference's too). The
/// best-so-far is one 64-bit key per row, (cosine, −neighbour) in an order-preserving encoding, raised with a
/// compare-and-swap: the kept maximum does not depend on which thread saw which pair first.
/// </summary>
internal sealed class PairChecker
{
    private readonly float[] queries;
    private readonly float[] references;
    private readonly QuantisedRows quantisedQueries;
    private readonly QuantisedRows quantisedReferences;
    private readonly int dimension;
    private readonly double threshold;
    private readonly double floor;
    private readonly bool within;
    private readonly long[] best;
    private readonly bool vectorPaths;

    public PairChecker(float[] queries, QuantisedRows quantisedQueries, float[] references, QuantisedRows quantisedReferences,
        int dimension, double threshold, double floor, bool within, bool vectorPaths)
    {
        this.vectorPaths = vectorPaths;
        this.queries = queries;
        this.references = references;
        this.quantisedQueries = quantisedQueries;
        this.quantisedReferences = quantisedReferences;
        this.dimension = dimension;
        this.threshold = threshold;
        this.floor = floor;
        this.within = within;
        QueryCount = queries.Length / dimension;
        ReferenceCount = references.Length / dimension;
        best = new long[QueryCount];
        Array.Fill(best, long.MinValue);
    }

    public int QueryCount { get; }

    public int ReferenceCount { get; }

    /// <summary>Checks one pair; returns whether its cosine had to be computed in full.</summary>
    public bool Check(int query, int reference)
    {
        if (quantisedQueries.UpperBound(query, quantisedReferences, reference) < floor) return false;
        float cosine = (float)ExactDot.Compute(queries.AsSpan(query * dimension, dimension), references.AsSpan(reference * dimension, dimension), vectorPaths) + 0f;
        // Float against double, as the top-k path compares; + 0f turns −0 into +0 so that the two compare as equal.
        if (!(cosine >= threshold)) return true;
        Offer(query, cosine, reference);
        if (within) Offer(reference, cosine, query);
        return true;
    }

    public NearestAbove Results(long candidatePairs, long exactChecks)
    {
        var neighbours = new int[QueryCount];
        var cosines = new float[QueryCount];
        for (int q = 0; q < QueryCount; q++)
        {
            if (best[q] == long.MinValue)
            {
                neighbours[q] = -1;
                cosines[q] = float.NaN;
                continue;
            }
            int ordered = (int)(best[q] >> 32);
            cosines[q] = BitConverter.Int32BitsToSingle(ordered >= 0 ? ordered : ordered ^ int.MaxValue);
            neighbours[q] = int.MaxValue - (int)(uint)best[q];
        }
        return new NearestAbove(neighbours, cosines, candidatePairs, exactChecks);
    }

    private void Offer(int row, float cosine, int neighbour)
    {
        // Float bits ordered as integers (negative floats flipped), then the smaller neighbour as the larger low word.
        int bits = BitConverter.SingleToInt32Bits(cosine);
        long key = ((long)(bits >= 0 ? bits : bits ^ int.MaxValue) << 32) | (uint)(int.MaxValue - neighbour);
        long seen = Volatile.Read(ref best[row]);
        while (key > seen)
        {
            long previous = Interlocked.CompareExchange(ref best[row], key, seen);
            if (previous == seen) return;
            seen = previous;
        }
    }
}
