namespace OnnxTransfer.TestSupport.Models;

/// <summary>
/// The test BERT's forward pass written out plainly in managed code (double precision, loops), to check the ONNX graph
/// <see cref="TestBertModel"/> builds: the two must agree to float rounding on any input.
/// </summary>
public static class TestBertReference
{
    /// <summary>
    /// Runs the encoder on <paramref name="batch"/> rows of <paramref name="sequence"/> tokens (row-major [B, T]
    /// inputs; <paramref name="tokenTypeIds"/> may be null for all zeros). Returns <c>last_hidden_state</c>
    /// [B, T, H] and <c>pooler_output</c> [B, H].
    /// </summary>
    public static (float[] LastHiddenState, float[] PooledOutput) Forward(TestBertWeights weights, ReadOnlySpan<long> inputIds,
        ReadOnlySpan<long> attentionMask, ReadOnlySpan<long> tokenTypeIds, int batch, int sequence)
    {
        var c = weights.Config;
        int h = c.HiddenSize, heads = c.Heads, d = c.HeadSize, f = c.IntermediateSize;
        var last = new float[batch * sequence * h];
        var pooled = new float[batch * h];
        for (var row = 0; row < batch; row++)
        {
            var x = new double[sequence, h];
            for (var t = 0; t < sequence; t++)
            {
                var id = (int)inputIds[row * sequence + t];
                var type = tokenTypeIds.IsEmpty ? 0 : (int)tokenTypeIds[row * sequence + t];
                for (var j = 0; j < h; j++)
                    x[t, j] = (double)weights.WordEmbeddings[id * h + j] + weights.PositionEmbeddings[t * h + j]
                              + (c.TokenTypeInput ? weights.TypeEmbeddings[type * h + j] : 0.0);
            }
            x = LayerNorm(x, weights.EmbeddingNormScale, weights.EmbeddingNormBias, c.LayerNormEpsilon);

            var maskBias = new double[sequence];
            for (var t = 0; t < sequence; t++) maskBias[t] = (1.0 - attentionMask[row * sequence + t]) * -10000.0;

            foreach (var w in weights.Layers)
            {
                var q = Dense(x, w.Query, w.QueryBias, h);
                var k = Dense(x, w.Key, w.KeyBias, h);
                var v = Dense(x, w.Value, w.ValueBias, h);
                var context = new double[sequence, h];
                var scores = new double[sequence];
                for (var head = 0; head < heads; head++)
                {
                    for (var i = 0; i < sequence; i++)
                    {
                        var max = double.NegativeInfinity;
                        for (var j = 0; j < sequence; j++)
                        {
                            var dot = 0.0;
                            for (var e = 0; e < d; e++) dot += q[i, head * d + e] * k[j, head * d + e];
                            scores[j] = dot / Math.Sqrt(d) + maskBias[j];
                            max = Math.Max(max, scores[j]);
                        }
                        var total = 0.0;
                        for (var j = 0; j < sequence; j++) total += scores[j] = Math.Exp(scores[j] - max);
                        for (var e = 0; e < d; e++)
                        {
                            var value = 0.0;
                            for (var j = 0; j < sequence; j++) value += scores[j] / total * v[j, head * d + e];
                            context[i, head * d + e] = value;
                        }
                    }
                }
                var attended = LayerNorm(Add(Dense(context, w.AttentionOutput, w.AttentionOutputBias, h), x),
                    w.AttentionNormScale, w.AttentionNormBias, c.LayerNormEpsilon);
                var intermediate = Dense(attended, w.Intermediate, w.IntermediateBias, f);
                for (var t = 0; t < sequence; t++)
                    for (var j = 0; j < f; j++)
                    {
                        var z = intermediate[t, j];
                        intermediate[t, j] = 0.5 * z * (1.0 + Erf(z / Math.Sqrt(2.0)));
                    }
                x = LayerNorm(Add(Dense(intermediate, w.Output, w.OutputBias, h), attended), w.OutputNormScale, w.OutputNormBias, c.LayerNormEpsilon);
            }

            for (var t = 0; t < sequence; t++)
                for (var j = 0; j < h; j++)
                    last[(row * sequence + t) * h + j] = (float)x[t, j];
            for (var j = 0; j < h; j++)
            {
                var sum = (double)weights.PoolerBias[j];
                for (var i = 0; i < h; i++) sum += x[0, i] * weights.Pooler[i * h + j];
                pooled[row * h + j] = (float)Math.Tanh(sum);
            }
        }
        return (last, pooled);
    }

    private static double[,] Dense(double[,] x, float[] weight, float[] bias, int outputs)
    {
        int rows = x.GetLength(0), inputs = x.GetLength(1);
        var y = new double[rows, outputs];
        for (var r = 0; r < rows; r++)
            for (var o = 0; o < outputs; o++)
            {
                var sum = (double)bias[o];
                for (var i = 0; i < inputs; i++) sum += x[r, i] * weight[i * outputs + o];
                y[r, o] = sum;
            }
        return y;
    }

    private static double[,] Add(double[,] a, double[,] b)
    {
        var y = new double[a.GetLength(0), a.GetLength(1)];
        for (var r = 0; r < a.GetLength(0); r++)
            for (var j = 0; j < a.GetLength(1); j++) y[r, j] = a[r, j] + b[r, j];
        return y;
    }

    private static double[,] LayerNorm(double[,] x, float[] scale, float[] bias, float epsilon)
    {
        int rows = x.GetLength(0), width = x.GetLength(1);
        var y = new double[rows, width];
        for (var r = 0; r < rows; r++)
        {
            var mean = 0.0;
            for (var j = 0; j < width; j++) mean += x[r, j];
            mean /= width;
            var variance = 0.0;
            for (var j = 0; j < width; j++) variance += (x[r, j] - mean) * (x[r, j] - mean);
            variance /= width;
            var inverse = 1.0 / Math.Sqrt(variance + epsilon);
            for (var j = 0; j < width; j++) y[r, j] = (x[r, j] - mean) * inverse * scale[j] + bias[j];
        }
        return y;
    }

    /// <summary>erf by its Maclaurin series near 0 and the continued-fraction tail beyond, to ~1e-15 (System.Math has no erf).</summary>
    public static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x < 2.5)
        {
            // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
            double sum = 0, term = x;
            for (var n = 0; n < 200; n++)
            {
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
                term *= -x * x / (n + 1);
            }
            return 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated from the tail.
        var fraction = x;
        for (var k = 60; k >= 1; k--) fraction = x + k / 2.0 / fraction;
        return 1.0 - Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }
}
