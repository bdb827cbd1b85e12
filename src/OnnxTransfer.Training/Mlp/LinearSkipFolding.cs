using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Writes an MLP with a linear skip path (<c>logits = S·x + s + MLP(x)</c>) as a plain chain of dense layers, so the
/// head file, its ONNX export, calibration and composition need nothing new. The skip's C logits p = S·x + s ride
/// through the hidden layers as 2C extra units, p and −p: the output layer adds act(p) − act(−p), which is p for ReLU
/// (one side is exactly 0, the other exactly ±p) and for GELU (x·Φ(x) + x·Φ(−x) = x; in float within a few ulp of p).
/// A deeper ReLU net passes the units on with identity blocks (ReLU leaves the non-negative units as they are).
/// The cost is 2C hidden units (20 for 10 classes next to 1024).
/// </summary>
public static class LinearSkipFolding
{
    /// <summary>The folded layers: <paramref name="layers"/> (hidden branch, input first) widened by the skip units.</summary>
    public static DenseLayer[] Fold(IReadOnlyList<DenseLayer> layers, float[] skipWeights, float[] skipBias)
    {
        ArgumentNullException.ThrowIfNull(layers);
        int classes = skipBias.Length, d = layers[0].InputCount, extra = 2 * classes;
        if (layers.Count < 2) throw new ArgumentException("A skip path folds into hidden units: the MLP needs a hidden layer.", nameof(layers));
        if (skipWeights.Length != classes * d) throw new ArgumentException($"Skip weights must be {classes}×{d}.", nameof(skipWeights));
        var folded = new DenseLayer[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            bool first = l == 0, last = l == layers.Count - 1;
            int inputs = layer.InputCount + (first ? 0 : extra), outputs = layer.OutputCount + (last ? 0 : extra);
            var weights = new float[(long)outputs * inputs];
            var bias = new float[outputs];
            // The hidden branch's own weights, top-left.
            for (int o = 0; o < layer.OutputCount; o++)
                layer.Weights.AsSpan(o * layer.InputCount, layer.InputCount).CopyTo(weights.AsSpan(o * inputs, layer.InputCount));
            layer.Bias.CopyTo(bias, 0);
            for (int u = 0; u < extra; u++)
            {
                int c = u % classes;
                float sign = u < classes ? 1f : -1f;
                if (first && !last)
                {
                    // Units p = S·x + s, then −p.
                    int row = layer.OutputCount + u;
                    for (int j = 0; j < d; j++) weights[(long)row * inputs + j] = sign * skipWeights[c * d + j];
                    bias[row] = sign * skipBias[c];
                }
                else if (!last)
                {
                    // Identity: act(p) ≥ 0 passes ReLU unchanged.
                    int row = layer.OutputCount + u;
                    weights[(long)row * inputs + layer.InputCount + u] = 1f;
                }
                else
                {
                    // Logit c gains act(p_c) − act(−p_c) = p_c.
                    weights[(long)c * inputs + layer.InputCount + u] = sign;
                }
            }
            folded[l] = new DenseLayer(inputs, outputs, weights, bias, layer.Activation);
        }
        return folded;
    }
}
