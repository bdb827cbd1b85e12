using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The blocked cosine top-k search against a brute force in double: on integer vectors (every dot product exact in float,
/// many exact ties) the lists must be identical, tie order included; on random unit rows the cosines must agree.
/// </summary>
public class CosineTopKTests
{
    private static IEnumerable<BlasBackend> Backends()
    {
        yield return BlasBackend.Managed;
        yield return BlasBackend.OpenBlas ?? throw new InvalidOperationException("OpenBLAS is not loadable; run tools/setup.sh.");
    }

    [Test]
    public void IntegerRowsWithTiesGiveExactlyTheBruteForceListsAcrossBlocks()
    {
        // 2,600 references span two reference blocks, 300 queries two query blocks; coordinates in {-2..2} over 6 dimensions
        // give only a few hundred distinct rows, so ties and exact duplicates are everywhere.
        const int d = 6;
        var references = IntegerRows(2600, d, seed: 1);
        var queries = IntegerRows(300, d, seed: 2);
        foreach (var backend in Backends())
        foreach (int threads in new[] { 1, 2 })
        {
            var compute = new ComputeOptions { Blas = backend, DegreeOfParallelism = threads };
            var found = new CosineTopK(7, compute).Search(queries, references, d);
            var expected = BruteForce(queries, references, d, 7, excludeSelf: false);
            Assert.That(found.K, Is.EqualTo(7));
            Assert.That(found.Indices, Is.EqualTo(expected.Indices), $"{backend.Name}, {threads} threads");
            Assert.That(found.Cosines, Is.EqualTo(expected.Cosines), $"{backend.Name}, {threads} threads");

            var within = new CosineTopK(5, compute).SearchWithin(references, d);
            var expectedWithin = BruteForce(references, references, d, 5, excludeSelf: true);
            Assert.That(within.Indices, Is.EqualTo(expectedWithin.Indices));
            Assert.That(within.Cosines, Is.EqualTo(expectedWithin.Cosines));
        }
    }

    [Test]
    public void RandomUnitRowsMatchTheBruteForceCosines()
    {
        const int d = 40;
        var references = GaussianRows(3000, d, seed: 3);
        var queries = GaussianRows(513, d, seed: 4);
        CosineTopK.NormalizeRows(references, d);
        CosineTopK.NormalizeRows(queries, d);
        var found = new CosineTopK(10).Search(queries, references, d);
        var expected = BruteForce(queries, references, d, 10, excludeSelf: false);
        double worst = 0;
        int sameIndex = 0;
        for (int i = 0; i < found.Cosines.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(found.Cosines[i] - expected.Cosines[i]));
            if (found.Indices[i] == expected.Indices[i]) sameIndex++;
            // A neighbour's cosine is its true cosine with the query, wherever it ranks.
            int query = i / 10;
            Assert.That(Dot(queries, query, references, found.Indices[i], d), Is.EqualTo(found.Cosines[i]).Within(1e-5));
        }
        Assert.That(worst, Is.LessThan(1e-5));
        // Random real-valued cosines are distinct far beyond float rounding, so the ranks agree too (bar a rare near tie).
        Assert.That(sameIndex, Is.GreaterThanOrEqualTo(found.Indices.Length - 2));
        for (int q = 0; q < found.QueryCount; q++)
            for (int r = 1; r < found.K; r++)
                Assert.That(found.Cosine(q, r), Is.LessThanOrEqualTo(found.Cosine(q, r - 1)));
    }

    [Test]
    public void KBeyondTheCandidatesReturnsThemAll()
    {
        const int d = 3;
        var rows = IntegerRows(4, d, seed: 5);
        var within = new CosineTopK(10).SearchWithin(rows, d);
        Assert.That(within.K, Is.EqualTo(3), "four rows have three others each");
        var expected = BruteForce(rows, rows, d, 3, excludeSelf: true);
        Assert.That(within.Indices, Is.EqualTo(expected.Indices));
        for (int q = 0; q < 4; q++)
            Assert.That(Enumerable.Range(0, 3).Select(r => within.Index(q, r)), Is.EquivalentTo(Enumerable.Range(0, 4).Where(i => i != q)));

        var all = new CosineTopK(10).Search(IntegerRows(2, d, seed: 6), rows, d);
        Assert.That(all.K, Is.EqualTo(4));
        Assert.That(new CosineTopK(1).SearchWithin(IntegerRows(1, d, seed: 7), d).K, Is.Zero, "a single row has no other row");
    }

    [Test]
    public void ExactCopyAtAnotherRowIsTheNearestNeighbourWithCosineOne()
    {
        const int d = 32;
        var rows = GaussianRows(50, d, seed: 8);
        Array.Copy(rows, 7 * d, rows, 31 * d, d);
        CosineTopK.NormalizeRows(rows, d);
        var within = new CosineTopK(1).SearchWithin(rows, d);
        Assert.That(within.Index(7, 0), Is.EqualTo(31));
        Assert.That(within.Index(31, 0), Is.EqualTo(7));
        Assert.That(within.Cosine(7, 0), Is.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void BadShapesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineTopK(0));
        Assert.Throws<ArgumentException>(() => new CosineTopK(1).Search(new float[7], new float[6], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineTopK(1).SearchWithin(new float[6], 0));
    }

    private static float[] IntegerRows(int count, int d, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = random.Next(-2, 3);
        return rows;
    }

    private static float[] GaussianRows(int count, int d, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * d];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return rows;
    }

    private static double Dot(float[] a, int rowA, float[] b, int rowB, int d)
    {
        double sum = 0;
        for (int j = 0; j < d; j++) sum += (double)a[rowA * d + j] * b[rowB * d + j];
        return sum;
    }

    /// <summary>All pairs in double, sorted by (cosine descending, reference ascending), the first k kept.</summary>
    private static NeighbourLists BruteForce(float[] queries, float[] references, int d, int k, bool excludeSelf)
    {
        int queryCount = queries.Length / d, referenceCount = references.Length / d;
        var indices = new int[queryCount * k];
        var cosines = new float[queryCount * k];
        for (int q = 0; q < queryCount; q++)
        {
            var best = Enumerable.Range(0, referenceCount)
                .Where(r => !(excludeSelf && r == q))
                .Select(r => (Index: r, Cosine: Dot(queries, q, references, r, d)))
                .OrderByDescending(p => p.Cosine).ThenBy(p => p.Index)
                .Take(k).ToArray();
            for (int r = 0; r < k; r++)
            {
                indices[q * k + r] = best[r].Index;
                cosines[q * k + r] = (float)best[r].Cosine;
            }
        }
        return new NeighbourLists(queryCount, k, indices, cosines);
    }
}
