using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Export;

/// <summary>
/// Folds a head's standardisation into its first dense layer: <c>W·((x − m)/s) + b = W'·x + b'</c> with
/// <c>W' = W·diag(1/s)</c>, <c>b' = b − W'·m</c> (computed in double, rounded once to float). Exact in real numbers, not in
/// float: when a feature's mean is large against its spread, <c>W'·x</c> and <c>b'</c> are large and nearly cancel, so
/// float rounding in the folded product can move the logits. The check measures that on probe inputs drawn around the
/// training distribution (<c>m + s·z</c>, z standard normal, 1σ and 3σ) and reports the largest probability change.
/// </summary>
internal static class StandardizationFolding
{
    private const int ProbeRows = 256;

    /// <summary>The head with its standardisation folded in (its L2 normalisation, if any, is kept).</summary>
    public static Head Fold(Head head)
    {
        var pre = head.Preprocessing;
        if (!pre.Standardize) return head;
        var first = head.Layers[0];
        int d = first.InputCount, outputs = first.OutputCount;
        var weights = new float[first.Weights.Length];
        var bias = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double shift = first.Bias[o];
            for (int j = 0; j < d; j++)
            {
                double w = (double)first.Weights[o * d + j] / pre.Scale![j];
                weights[o * d + j] = (float)w;
                shift -= w * pre.Mean![j];
            }
            bias[o] = (float)shift;
        }
        var layers = head.Layers.ToArray();
        layers[0] = new DenseLayer(d, outputs, weights, bias, first.Activation);
        return new Head(head.Kind, head.Labels, new FeaturePreprocessing(pre.L2Normalize, null, null), layers, head.Training);
    }

    /// <summary>Largest |Δp| between the head and its folded form on probe rows (in the space after L2 normalisation).</summary>
    public static double ProbabilityError(Head head, Head folded)
    {
        var pre = head.Preprocessing;
        if (!pre.Standardize) return 0;
        int d = head.InputDimension;
        var probes = new float[ProbeRows * d];
        var random = DeterministicRandom.For(0, 0xF01DUL);
        for (int i = 0; i < ProbeRows; i++)
        {
            float spread = i % 2 == 0 ? 1f : 3f;
            for (int j = 0; j < d; j++) probes[i * d + j] = pre.Mean![j] + pre.Scale![j] * spread * Normal(random);
        }
        // Compare the layers on the same standardisation inputs: both heads without their L2 step.
        var standardizeOnly = new Head(head.Kind, head.Labels, new FeaturePreprocessing(false, pre.Mean, pre.Scale), head.Layers);
        var foldedOnly = new Head(folded.Kind, folded.Labels, FeaturePreprocessing.Identity, folded.Layers);
        var compute = new ComputeOptions { DegreeOfParallelism = 1 };
        var a = standardizeOnly.PredictProba(probes, compute);
        var b = foldedOnly.PredictProba(probes, compute);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    private static float Normal(DeterministicRandom random)
    {
        // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
        double u = 1.0 - random.NextDouble(), v = random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
    }
}
