using OnnxTransfer.Text.Pooling;

namespace OnnxTransfer.Text.Tests;

/// <summary>Pooling against a plain loop-by-loop reference on random hidden states with random masks.</summary>
[TestFixture]
public sealed class PoolingTests
{
    private const int Batch = 7, Sequence = 13, Hidden = 37; // odd sizes so vector tails are exercised

    private static (float[] Hidden, long[] Mask) RandomInput(int seed)
    {
        var random = new Random(seed);
        var hidden = new float[Batch * Sequence * Hidden];
        for (var i = 0; i < hidden.Length; i++) hidden[i] = (float)(random.NextDouble() * 8 - 4);
        var mask = new long[Batch * Sequence];
        for (var b = 0; b < Batch; b++)
        {
            // Row 3 has no valid token at all; the others a random valid prefix with a hole or two.
            var valid = b == 3 ? 0 : random.Next(1, Sequence + 1);
            for (var t = 0; t < valid; t++) mask[b * Sequence + t] = random.Next(6) == 0 && t > 0 ? 0 : 1;
        }
        return (hidden, mask);
    }

    private static double[] Reference(string mode, float[] hidden, long[] mask)
    {
        var result = new double[Batch * Hidden];
        for (var b = 0; b < Batch; b++)
        for (var h = 0; h < Hidden; h++)
        {
            double sum = 0, max = double.NegativeInfinity;
            var count = 0;
            for (var t = 0; t < Sequence; t++)
            {
                if (mask[b * Sequence + t] == 0) continue;
                var v = hidden[(b * Sequence + t) * Hidden + h];
                sum += v;
                max = Math.Max(max, v);
                count++;
            }
            result[b * Hidden + h] = mode switch
            {
                "mean" => count == 0 ? 0 : sum / count,
                "max" => count == 0 ? 0 : max,
                _ => hidden[b * Sequence * Hidden + h],
            };
        }
        return result;
    }

    [TestCase(PoolingMode.Mean, "mean")]
    [TestCase(PoolingMode.Max, "max")]
    [TestCase(PoolingMode.Cls, "cls")]
    public void Pool_MatchesTheReference(PoolingMode mode, string reference)
    {
        var (hidden, mask) = RandomInput(seed: 11);
        var pooled = new float[Batch * Hidden];
        EmbeddingPooling.Pool<long>(mode, hidden, mask, Batch, Sequence, Hidden, pooled);
        var expected = Reference(reference, hidden, mask);
        for (var i = 0; i < pooled.Length; i++)
            Assert.That(pooled[i], Is.EqualTo(expected[i]).Within(1e-5), $"value {i}");
    }

    [Test]
    public void Mean_WithInt32Mask_AndL2Normalization()
    {
        var (hidden, mask) = RandomInput(seed: 5);
        var intMask = mask.Select(m => (int)m).ToArray();
        var pooled = new float[Batch * Hidden];
        EmbeddingPooling.Pool<int>(PoolingMode.Mean, hidden, intMask, Batch, Sequence, Hidden, pooled, normalize: true);
        var expected = Reference("mean", hidden, mask);
        for (var b = 0; b < Batch; b++)
        {
            var row = expected.AsSpan(b * Hidden, Hidden).ToArray();
            var norm = Math.Sqrt(row.Sum(v => v * v));
            for (var h = 0; h < Hidden; h++)
                Assert.That(pooled[b * Hidden + h], Is.EqualTo(norm == 0 ? 0 : row[h] / norm).Within(1e-5));
            var pooledNorm = Math.Sqrt(pooled.AsSpan(b * Hidden, Hidden).ToArray().Sum(v => (double)v * v));
            Assert.That(pooledNorm, Is.EqualTo(b == 3 ? 0 : 1).Within(1e-5), b == 3 ? "an empty row stays zero" : "unit length");
        }
    }

    [Test]
    public void PooledOutput_IsASelection_CopiedThrough()
    {
        var pooledOutput = Enumerable.Range(0, Batch * Hidden).Select(i => (float)i).ToArray();
        var destination = new float[Batch * Hidden];
        EmbeddingPooling.Pool<long>(PoolingMode.PooledOutput, pooledOutput, [], Batch, 1, Hidden, destination);
        Assert.That(destination, Is.EqualTo(pooledOutput));
    }

    [Test]
    public void WrongSizes_AreRefusedWithTheShapeInTheMessage()
    {
        var (hidden, mask) = RandomInput(seed: 1);
        var e = Assert.Throws<ArgumentException>(() =>
            EmbeddingPooling.Pool<long>(PoolingMode.Mean, hidden.AsSpan(1).ToArray(), mask, Batch, Sequence, Hidden, new float[Batch * Hidden]));
        Assert.That(e!.Message, Does.Contain("last_hidden_state"));
        Assert.Throws<ArgumentException>(() =>
            EmbeddingPooling.Pool<long>(PoolingMode.Max, hidden, mask, Batch, Sequence, Hidden, new float[Hidden]));
    }
}
