using OnnxTransfer.Training.Blas;

namespace OnnxTransfer.Training.Tests;

public class BlasBackendTests
{
    private static IEnumerable<BlasBackend> Backends()
    {
        yield return BlasBackend.Managed;
        // tools/setup.sh installs libopenblas0-pthread: its absence is a set-up failure, not a reason to skip.
        yield return BlasBackend.OpenBlas ?? throw new InvalidOperationException("OpenBLAS is not loadable; run tools/setup.sh.");
    }

    [Test]
    public void OpenBlasIsFoundAndDescribed()
    {
        var openBlas = BlasBackend.OpenBlas;
        Assert.That(openBlas, Is.Not.Null, "libopenblas.so.0 should load on a machine set up by tools/setup.sh");
        Assert.That(openBlas!.Name, Is.EqualTo("openblas"));
        Assert.That(openBlas.Description, Does.Contain("OpenBLAS"));
        Assert.That(BlasBackend.Resolve("openblas"), Is.SameAs(openBlas));
        Assert.That(BlasBackend.Resolve("managed"), Is.SameAs(BlasBackend.Managed));
        Assert.That(BlasBackend.Resolve(null), Is.SameAs(openBlas));
        Assert.That(BlasBackend.Resolve("AUTO"), Is.SameAs(openBlas));
    }

    [Test]
    public void UnknownBackendNameIsRefusedWithTheChoices()
    {
        var error = Assert.Throws<ArgumentException>(() => BlasBackend.Resolve("mkl"));
        Assert.That(error!.Message, Does.Contain("'auto', 'openblas' or 'managed'"));
    }

    [Test]
    public void ThreadCountCanBeSetAndRead()
    {
        foreach (var backend in Backends())
        {
            int before = backend.ThreadCount;
            backend.ThreadCount = 1;
            Assert.That(backend.ThreadCount, Is.EqualTo(1), backend.Name);
            backend.ThreadCount = before;
            Assert.Throws<ArgumentOutOfRangeException>(() => backend.ThreadCount = 0);
        }
    }

    // Shapes that exercise vector tiles, row and column tails, k = 1 and strided (padded) operands.
    [TestCase(false, false, 37, 29, 53)]
    [TestCase(false, true, 37, 29, 53)]
    [TestCase(true, false, 37, 29, 53)]
    [TestCase(true, true, 37, 29, 53)]
    [TestCase(false, true, 130, 10, 200)]
    [TestCase(true, false, 10, 200, 130)]
    [TestCase(false, false, 5, 3, 1)]
    public void SgemmMatchesDoublePrecisionReference(bool ta, bool tb, int m, int n, int k)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        int pad = 3;
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = RandomArray(random, aRows * lda);
        var b = RandomArray(random, bRows * ldb);
        var c0 = RandomArray(random, m * ldc);
        var product = Reference.Gemm(ta, tb, m, n, k, a, lda, b, ldb);
        foreach (var backend in Backends())
        {
            foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f), (-2f, 0.25f) })
            {
                var c = (float[])c0.Clone();
                backend.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double expected = alpha * product[i * n + j] + beta * c0[i * ldc + j];
                    Assert.That(c[i * ldc + j], Is.EqualTo(expected).Within(1e-5 * (k + 1)),
                        $"{backend.Name} alpha={alpha} beta={beta} at ({i},{j})");
                }
                // Padding columns of C are never written.
                for (int i = 0; i < m; i++)
                for (int j = n; j < ldc; j++)
                    Assert.That(c[i * ldc + j], Is.EqualTo(c0[i * ldc + j]), $"{backend.Name} wrote padding ({i},{j})");
            }
        }
    }

    [Test]
    public void BetaZeroOverwritesNaN()
    {
        foreach (var backend in Backends())
        {
            var c = new[] { float.NaN, float.NaN, float.NaN, float.NaN };
            backend.Sgemm(false, false, 2, 2, 1, 1f, [1f, 2f], 1, [3f, 4f], 2, 0f, c, 2);
            Assert.That(c, Is.EqualTo(new[] { 3f, 4f, 6f, 8f }), backend.Name);
        }
    }

    [Test]
    public void UndersizedOperandIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            BlasBackend.Managed.Sgemm(false, false, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
        Assert.That(error!.Message, Does.Contain("A holds 15 floats"));
    }

    [Test]
    public void ManagedResultDoesNotDependOnThreadCount()
    {
        var random = new Random(5);
        int m = 300, n = 70, k = 90;
        var a = RandomArray(random, m * k);
        var b = RandomArray(random, k * n);
        var backend = BlasBackend.Managed;
        int before = backend.ThreadCount;
        try
        {
            backend.ThreadCount = 1;
            var one = new float[m * n];
            backend.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, one, n);
            backend.ThreadCount = 4;
            var four = new float[m * n];
            backend.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, four, n);
            Assert.That(four, Is.EqualTo(one));
        }
        finally
        {
            backend.ThreadCount = before;
        }
    }

    private static float[] RandomArray(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
