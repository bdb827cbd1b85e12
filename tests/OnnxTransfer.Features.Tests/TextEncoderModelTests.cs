using OnnxTransfer.TestSupport;
using Microsoft.ML.OnnxRuntime;
using System.Runtime.InteropServices;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport.Models;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// The test BERT itself: the ONNX graph TestSupport builds computes what a plain managed forward pass computes, masks
/// padding, and gives each row the same bits whatever the batch size (what resuming a text extraction relies on).
/// </summary>
public class TextEncoderModelTests
{
    private static readonly long[][] Rows =
    [
        [101, 7592, 1010, 2088, 999, 102],
        [101, 1037, 2307, 3185, 102],
        [101, 2023, 2001, 1996, 5409, 2143, 1045, 2031, 2412, 2464, 102],
        [101, 102],
    ];

    [TestCase(false, true, true)]
    [TestCase(true, true, true)]
    [TestCase(false, false, false)]
    public void GraphMatchesTheManagedReferenceOnPaddedBatches(bool int32, bool tokenTypes, bool pooler)
    {
        var config = TestBertConfig.Tiny with { Int32Inputs = int32, TokenTypeInput = tokenTypes, PoolerOutput = pooler, Layers = 3 };
        var weights = TestBertWeights.Create(config);
        var (ids, mask, types, batch, length) = Pad(Rows, typeOfSecondHalf: tokenTypes);
        var (expectedHidden, expectedPooled) = TestBertReference.Forward(weights, ids, mask, tokenTypes ? types : [], batch, length);

        using var session = new InferenceSession(TestBertModel.Build(weights).ToBytes());
        var inputs = new List<OrtValue> { Tensor(ids, int32, batch, length), Tensor(mask, int32, batch, length) };
        var names = new List<string> { TestBertModel.InputIds, TestBertModel.AttentionMask };
        if (tokenTypes) { inputs.Add(Tensor(types, int32, batch, length)); names.Add(TestBertModel.TokenTypeIds); }
        using var result = session.RunNamed(names.ToArray(), inputs.ToArray());
        foreach (var value in inputs) value.Dispose();

        var hidden = result[TestBertModel.LastHiddenState].GetTensorData<float>();
        Assert.That(result[TestBertModel.LastHiddenState].Shape(), Is.EqualTo(new long[] { batch, length, config.HiddenSize }));
        var worst = 0.0;
        for (var b = 0; b < batch; b++)
            for (var t = 0; t < Rows[b].Length; t++) // padded positions are not defined by BERT; real tokens are compared
                for (var j = 0; j < config.HiddenSize; j++)
                {
                    var at = (b * length + t) * config.HiddenSize + j;
                    worst = Math.Max(worst, Math.Abs(hidden[at] - expectedHidden[at]));
                }
        TestContext.Out.WriteLine($"max |ORT − reference| last_hidden_state {worst:E2}");
        Assert.That(worst, Is.LessThan(2e-5));
        Assert.That(TestBertValues.Spread(hidden), Is.GreaterThan(0.5), "LayerNorm output has unit-scale values, not a degenerate graph");

        Assert.That(result.Names.Contains(TestBertModel.PooledOutput), Is.EqualTo(pooler));
        if (pooler)
        {
            var pooled = result[TestBertModel.PooledOutput].GetTensorData<float>();
            for (var i = 0; i < expectedPooled.Length; i++) Assert.That(pooled[i], Is.EqualTo(expectedPooled[i]).Within(2e-5), $"pooler_output[{i}]");
        }
    }

    [Test]
    public void PaddingDoesNotChangeTheRealTokens()
    {
        var weights = TestBertWeights.Create(TestBertConfig.Tiny);
        var row = Rows[2];
        var (a, _) = TestBertReference.Forward(weights, row, Ones(row.Length), [], 1, row.Length);
        using var session = new InferenceSession(TestBertModel.Build(weights).ToBytes());
        foreach (var length in new[] { row.Length, row.Length + 1, row.Length + 9 })
        {
            var hidden = RunOne(session, row, length);
            for (var i = 0; i < a.Length; i++) Assert.That(hidden[i], Is.EqualTo(a[i]).Within(2e-5), $"padded to {length}, value {i}");
        }
    }

    [Test]
    public void EachRowGetsTheSameBitsWhateverTheBatchSize()
    {
        using var session = new InferenceSession(TestBertModel.Build(TestBertConfig.Tiny).ToBytes());
        var (ids, mask, types, batch, length) = Pad(Rows, typeOfSecondHalf: false);
        var together = RunBatch(session, ids, mask, types, batch, length);
        var per = length * TestBertConfig.Tiny.HiddenSize;
        for (var b = 0; b < batch; b++)
        {
            var alone = RunBatch(session, ids.AsSpan(b * length, length).ToArray(), mask.AsSpan(b * length, length).ToArray(),
                types.AsSpan(b * length, length).ToArray(), 1, length);
            Assert.That(MemoryMarshal.AsBytes(alone.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(together.AsSpan(b * per, per))), Is.True, $"row {b}");
        }
    }

    [Test]
    public void SameConfigGivesTheSameModelBytes() =>
        Assert.That(TestBertModel.Build(TestBertConfig.Tiny).ToBytes(), Is.EqualTo(TestBertModel.Build(TestBertConfig.Tiny).ToBytes()));

    [Test]
    public void ReferenceErfIsAccurate()
    {
        // Known values (Abramowitz & Stegun table 7.1).
        Assert.That(TestBertReference.Erf(0.5), Is.EqualTo(0.5204998778130465).Within(1e-14));
        Assert.That(TestBertReference.Erf(1.0), Is.EqualTo(0.8427007929497149).Within(1e-14));
        Assert.That(TestBertReference.Erf(2.0), Is.EqualTo(0.9953222650189527).Within(1e-13));
        Assert.That(TestBertReference.Erf(3.0), Is.EqualTo(0.9999779095030014).Within(1e-14));
        Assert.That(TestBertReference.Erf(-1.0), Is.EqualTo(-0.8427007929497149).Within(1e-14));
    }

    private static float[] RunOne(InferenceSession session, long[] row, int length)
    {
        var ids = new long[length];
        var mask = new long[length];
        row.CopyTo(ids, 0);
        mask.AsSpan(0, row.Length).Fill(1);
        var hidden = RunBatch(session, ids, mask, new long[length], 1, length);
        return hidden[..(row.Length * TestBertConfig.Tiny.HiddenSize)];
    }

    private static float[] RunBatch(InferenceSession session, long[] ids, long[] mask, long[] types, int batch, int length)
    {
        using var a = OrtTestRuns.Tensor(ids, [batch, length]);
        using var m = OrtTestRuns.Tensor(mask, [batch, length]);
        using var t = OrtTestRuns.Tensor(types, [batch, length]);
        using var result = session.RunNamed([TestBertModel.InputIds, TestBertModel.AttentionMask, TestBertModel.TokenTypeIds], [a, m, t], [TestBertModel.LastHiddenState]);
        return result[0].GetTensorData<float>().ToArray();
    }

    private static OrtValue Tensor(long[] values, bool int32, int batch, int length) =>
        int32 ? OrtTestRuns.Tensor(Array.ConvertAll(values, v => (int)v), [batch, length]) : OrtTestRuns.Tensor(values, [batch, length]);

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    /// <summary>Rows right-padded with 0 to the longest; token types 1 on the second half of each row when asked.</summary>
    private static (long[] Ids, long[] Mask, long[] Types, int Batch, int Length) Pad(long[][] rows, bool typeOfSecondHalf)
    {
        var length = rows.Max(r => r.Length);
        var ids = new long[rows.Length * length];
        var mask = new long[ids.Length];
        var types = new long[ids.Length];
        for (var b = 0; b < rows.Length; b++)
            for (var t = 0; t < rows[b].Length; t++)
            {
                ids[b * length + t] = rows[b][t];
                mask[b * length + t] = 1;
                types[b * length + t] = typeOfSecondHalf && t >= rows[b].Length / 2 ? 1 : 0;
            }
        return (ids, mask, types, rows.Length, length);
    }
}

internal static class TestBertValues
{
    /// <summary>Standard deviation of the values.</summary>
    public static double Spread(ReadOnlySpan<float> values)
    {
        double sum = 0, squares = 0;
        foreach (var v in values) { sum += v; squares += (double)v * v; }
        var mean = sum / values.Length;
        return Math.Sqrt(Math.Max(0, squares / values.Length - mean * mean));
    }
}
