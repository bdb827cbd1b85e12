using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The threshold search (sketch screen, int8 bound, exact cosine) must give exactly what comparing every pair in full
/// gives: the same rows matched, the same nearest neighbour (ties to the smaller row), the same cosine. Checked against
/// a brute force in double on the real hymenoptera embeddings, on generated rows with pairs planted just above and just
/// below the threshold (inside every bound's slack, so only the exact cosine can tell them apart), on integer rows full
/// of exact ties and copies, with zero rows, dimensions that are not multiples of 64, the plain C# paths forced, and
/// against the fp32 all-pairs top-1 search the audit ran before.
/// </summary>
public class CosineThresholdSearchTests
{
    /// <summary>Every way the search can run: sketches of 64 or 16 directions or none, vector kernels or plain C#, one or two threads.</summary>
    private static IEnumerable<(string Name, CosineThresholdSearch Search)> Variants(double threshold, int directions = 64)
    {
        var managed = new ComputeOptions { Blas = BlasBackend.Managed, DegreeOfParallelism = 1 };
        yield return ("default", new CosineThresholdSearch(threshold));
        yield return ("projected", new CosineThresholdSearch(threshold) { MinimumRowsToProject = 0, Directions = directions });
        yield return ("projected, portable, managed BLAS, 1 thread",
            new CosineThresholdSearch(threshold, managed) { MinimumRowsToProject = 0, Directions = directions, PortableOnly = true });
        yield return ("unprojected, portable", new CosineThresholdSearch(threshold, managed) { MinimumRowsToProject = int.MaxValue, PortableOnly = true });
    }

    [Test]
    public void HymenopteraEmbeddingsGiveTheBruteForceAndTheAllPairsTopOneMatches()
    {
        var rows = HymenopteraSplits.Train.Features.ToArray().Concat(HymenopteraSplits.Val.Features.ToArray()).ToList();
        const int d = 1280;
        int real = rows.Count / d;
        // A copy of row 3 and a copy of row 100 with 2% multiplicative noise (a re-encoded image, roughly).
        rows.AddRange(rows.Skip(3 * d).Take(d));
        var random = new Random(11);
        rows.AddRange(rows.Skip(100 * d).Take(d).Select(v => v * (1 + 0.02f * (float)Gaussian(random))));
        var unit = rows.ToArray();
        CosineTopK.NormalizeRows(unit, d);

        foreach (double threshold in new[] { 0.8, 0.85, 0.95 })
        {
            var expected = BruteForceWithin(unit, d, threshold);
            Assert.That(expected.Neighbours[real], Is.EqualTo(3), "the exact copy's nearest row is its original");
            Assert.That(expected.Neighbours[real + 1], Is.EqualTo(100), "the noisy copy's nearest row is its original");
            var topOne = new CosineTopK(1).SearchWithin(unit, d);
            foreach (var (name, search) in Variants(threshold))
            {
                var found = search.Within(unit, d);
                AssertSame(found, expected, $"{name}, threshold {threshold}");
                for (int r = 0; r < found.QueryCount; r++)
                {
                    // The fp32 all-pairs path: same rows and neighbours; its cosines differ only by float rounding.
                    bool topOneMatches = topOne.Cosine(r, 0) >= threshold;
                    Assert.That(found.Neighbours[r] >= 0, Is.EqualTo(topOneMatches), $"{name}: row {r} at threshold {threshold}");
                    if (!topOneMatches) continue;
                    Assert.That(found.Neighbours[r], Is.EqualTo(topOne.Index(r, 0)));
                    Assert.That(found.Cosines[r], Is.EqualTo(topOne.Cosine(r, 0)).Within(1e-6));
                }
            }
            TestContext.Out.WriteLine($"threshold {threshold}: {expected.Neighbours.Count(n => n >= 0)} of {unit.Length / d} rows matched");
        }
    }

    [Test]
    public void PairsPlantedJustAboveAndBelowTheThresholdAreToldApartByTheExactCosine([Values(200, 1000)] int d)
    {
        const double threshold = 0.95;
        var offsets = new[] { 2e-5, -2e-5, 1e-3, -1e-3, 0.01, -0.01 };
        int count = d == 200 ? 3000 : 1200;
        var (rows, planted) = RowsWithPlantedPairs(count, d, threshold, offsets, pairsPerOffset: 20, seed: d);
        var expected = BruteForceWithin(rows, d, threshold);
        foreach (var (original, partner, offset) in planted)
        {
            bool above = offset > 0;
            Assert.That(expected.Neighbours[partner] == original, Is.EqualTo(above), $"brute force, cosine threshold {offset:+0.#####;-0.#####}");
        }
        foreach (var (name, search) in Variants(threshold, directions: 32))
        {
            var found = search.Within(rows, d);
            AssertSame(found, expected, name);
            // On sketches of a few directions both bounds have more slack than 1e-3, so the exact cosine decided every
            // pair that close (rows as their own sketches have a slack of only γ_d, ~1e-5 here).
            int close = planted.Count(p => Math.Abs(p.Offset) <= 1e-3);
            if (name.StartsWith("projected", StringComparison.Ordinal)) Assert.That(found.ExactChecks, Is.GreaterThanOrEqualTo(close), name);
            // Isotropic noise is the sketches' worst case (what they miss is large), but the int8 bound still rules out
            // nearly every pair whose cosine is far from the threshold.
            Assert.That(found.ExactChecks, Is.LessThan((long)count * (count - 1) / 2 / 100), $"{name}: the bounds rule out most pairs");
            TestContext.Out.WriteLine($"d {d}, {name}: {found.CandidatePairs} candidate pairs, {found.ExactChecks} exact checks");
        }
    }

    [Test]
    public void AcrossSetsFindsTheCopiedRowsAndTheBruteForceNeighbours()
    {
        const int d = 333;
        const double threshold = 0.95;
        var (references, _) = RowsWithPlantedPairs(2500, d, threshold, [0.02], pairsPerOffset: 30, seed: 5);
        var (queries, _) = RowsWithPlantedPairs(700, d, threshold, [-2e-5], pairsPerOffset: 10, seed: 6);
        // Queries 0..9 become copies of references 10·q (a leak), query 10 a copy with a little noise.
        for (int q = 0; q < 10; q++) Array.Copy(references, 10 * q * d, queries, q * d, d);
        var random = new Random(7);
        for (int j = 0; j < d; j++) queries[10 * d + j] = references[500 * d + j] * (1 + 0.01f * (float)Gaussian(random));
        CosineTopK.NormalizeRows(queries, d);
        var expected = BruteForce(queries, references, d, threshold, within: false);
        for (int q = 0; q < 10; q++) Assert.That(expected.Neighbours[q], Is.EqualTo(10 * q));
        Assert.That(expected.Neighbours[10], Is.EqualTo(500));
        foreach (var (name, search) in Variants(threshold, directions: 32))
            AssertSame(search.Across(queries, references, d), expected, name);
    }

    [Test]
    public void IntegerRowsWithTiesCopiesAndZeroRowsGiveTheBruteForceExactly([Values(0.5, 0.0, -0.5)] double threshold)
    {
        // Coordinates in {-2..2} over 70 dimensions, many rows repeated and some all zero: exact ties everywhere, and a
        // zero row has cosine 0 with every row (a match only when the threshold is at most 0).
        const int d = 70;
        var random = new Random(3);
        var rows = new float[600 * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = random.Next(-2, 3);
        for (int r = 0; r < 600; r += 7) Array.Copy(rows, (r / 2) * d, rows, r * d, d);
        foreach (int zero in new[] { 4, 50, 599 }) Array.Clear(rows, zero * d, d);
        for (int r = 100; r < 140; r++) for (int j = 0; j < d; j++) rows[r * d + j] = rows[(r - 40) * d + j] + (j == r % d ? 1 : 0);
        CosineTopK.NormalizeRows(rows, d);
        var expected = BruteForceWithin(rows, d, threshold);
        Assert.That(expected.Neighbours.Count(n => n >= 0), Is.GreaterThan(50));
        if (threshold > 0) Assert.That(expected.Neighbours[4], Is.EqualTo(-1), "a zero row matches nothing above 0");
        else Assert.That((expected.Neighbours[4], expected.Cosines[4]), Is.EqualTo((0, 0f)), "a zero row ties at cosine 0 with all: the smallest row wins");
        foreach (var (name, search) in Variants(threshold, directions: 16))
            AssertSame(search.Within(rows, d), expected, $"{name}, threshold {threshold}");
    }

    [Test]
    public void ExactCopiesNameTheSmallestOtherCopy()
    {
        const int d = 96;
        var (rows, _) = RowsWithPlantedPairs(500, d, 0.95, [], pairsPerOffset: 0, seed: 9);
        foreach (int copy in new[] { 9, 40, 41 }) Array.Copy(rows, 5 * d, rows, copy * d, d);
        foreach (var (name, search) in Variants(0.99, directions: 16))
        {
            var found = search.Within(rows, d);
            Assert.That(new[] { found.Neighbours[5], found.Neighbours[9], found.Neighbours[40], found.Neighbours[41] }, Is.EqualTo(new[] { 9, 5, 5, 5 }), name);
            Assert.That(found.Cosines[40], Is.EqualTo(1f).Within(1e-6));
        }
    }

    [Test]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineThresholdSearch(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineThresholdSearch(double.NaN));
        Assert.Throws<ArgumentException>(() => new CosineThresholdSearch(0.9).Within(new float[7], 3));
        Assert.Throws<ArgumentException>(() => new CosineThresholdSearch(0.9).Across(new float[6], new float[7], 3));
        Assert.That(new CosineThresholdSearch(0.9).Within([], 5).QueryCount, Is.Zero);
    }

    private static void AssertSame(NearestAbove found, NearestAbove expected, string name)
    {
        Assert.That(found.Neighbours, Is.EqualTo(expected.Neighbours), name);
        for (int r = 0; r < expected.QueryCount; r++)
            if (expected.Neighbours[r] >= 0)
                Assert.That(found.Cosines[r], Is.EqualTo(expected.Cosines[r]).Within(1e-7), $"{name}: cosine of row {r}");
    }

    /// <summary>
    /// Non-negative Gaussian rows (like pooled ReLU features: cosines around 0.75 between them) made unit length, then for
    /// each offset <paramref name="pairsPerOffset"/> rows replaced by a partner of an earlier row at cosine threshold + offset.
    /// </summary>
    private static (float[] Rows, List<(int Original, int Partner, double Offset)> Planted) RowsWithPlantedPairs(
        int count, int d, double threshold, double[] offsets, int pairsPerOffset, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = (float)Math.Abs(Gaussian(random));
        CosineTopK.NormalizeRows(rows, d);
        var planted = new List<(int, int, double)>();
        int next = count / 2;
        foreach (double offset in offsets)
            for (int p = 0; p < pairsPerOffset; p++, next++)
            {
                int original = next - count / 2;
                double cosine = threshold + offset;
                // partner = cosine·x + sin·u with u a unit vector orthogonal to x.
                var x = rows.AsSpan(original * d, d);
                var u = new double[d];
                for (int j = 0; j < d; j++) u[j] = Gaussian(random);
                double along = 0;
                for (int j = 0; j < d; j++) along += u[j] * x[j];
                for (int j = 0; j < d; j++) u[j] -= along * x[j];
                double length = Math.Sqrt(u.Sum(v => v * v));
                double sine = Math.Sqrt(1 - cosine * cosine);
                for (int j = 0; j < d; j++) rows[next * d + j] = (float)(cosine * x[j] + sine * u[j] / length);
                planted.Add((original, next, offset));
            }
        CosineTopK.NormalizeRows(rows, d);
        return (rows, planted);
    }

    private static NearestAbove BruteForceWithin(float[] rows, int d, double threshold) => BruteForce(rows, rows, d, threshold, within: true);

    /// <summary>Every pair in double, in plain order; the best is the largest float cosine, then the smaller row.</summary>
    private static NearestAbove BruteForce(float[] queries, float[] references, int d, double threshold, bool within)
    {
        int queryCount = queries.Length / d, referenceCount = references.Length / d;
        var neighbours = new int[queryCount];
        var cosines = new float[queryCount];
        Parallel.For(0, queryCount, q =>
        {
            int best = -1;
            float bestCosine = float.NegativeInfinity;
            for (int r = 0; r < referenceCount; r++)
            {
                if (within && r == q) continue;
                double sum = 0;
                for (int j = 0; j < d; j++) sum += (double)queries[q * d + j] * references[r * d + j];
                float cosine = (float)sum + 0f;
                if (cosine > bestCosine) (best, bestCosine) = (r, cosine);
            }
            bool match = best >= 0 && bestCosine >= threshold;
            neighbours[q] = match ? best : -1;
            cosines[q] = match ? bestCosine : float.NaN;
        });
        return new NearestAbove(neighbours, cosines, 0, 0);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
