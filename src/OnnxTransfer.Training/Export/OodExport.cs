using System.Globalization;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Training.Ood;

namespace OnnxTransfer.Training.Export;

/// <summary>
/// The ONNX form of an <see cref="OodDetector"/>: an <c>ood_score</c> output [batch] (higher = more out-of-distribution)
/// beside the probabilities, and the method, threshold and target false-positive rate in the metadata.
/// <list type="bullet">
/// <item>mahalanobis: from the raw features, the summary's L2 normalisation (if any), <c>z = Gemm(x, W, transB)</c>,
/// <c>p = Gemm(z, Wμ, transB)</c>, <c>min_k (ReduceSumSquare(z) − 2p + ‖Wμ_k‖²)</c> — the operations and float order of
/// <see cref="MahalanobisSummary.Score"/>;</item>
/// <item>energy: <c>Neg(ReduceLogSumExp(logits))</c>;</item>
/// <item>msp: <c>Neg(ReduceMax(probabilities))</c>.</item>
/// </list>
/// </summary>
internal static class OodExport
{
    /// <summary>Appends the score; <paramref name="logits"/> is the tensor the head's softmax (or vote) reads.</summary>
    public static void Append(GraphBuilder b, string features, string logits, string probabilities, OodDetector detector, int opset)
    {
        switch (detector.Method)
        {
            case OodMethod.Mahalanobis:
                AppendMahalanobis(b, features, detector.Summary!, opset);
                break;
            case OodMethod.Energy:
                b.AddNode("Neg", [Reduce(b, "ReduceLogSumExp", logits, "ood_logsumexp", opset, keepdims: false)], [ModelLayout.OodScoreOutput], name: "ood_energy");
                break;
            case OodMethod.MaxSoftmax:
                b.AddNode("Neg", [Reduce(b, "ReduceMax", probabilities, "ood_max_probability", opset, keepdims: false)], [ModelLayout.OodScoreOutput], name: "ood_msp");
                break;
            default:
                throw new ArgumentException($"Unknown OOD method '{detector.Method}'.", nameof(detector));
        }
        b.AddOutput(ModelLayout.OodScoreOutput, OnnxDataType.Float, "batch");
        b.SetMetadata(MetadataKeys.OodMethod, detector.Method);
        b.SetMetadata(MetadataKeys.OodThreshold, detector.Threshold.ToString("R", CultureInfo.InvariantCulture));
        b.SetMetadata(MetadataKeys.OodFalsePositiveRate, detector.TargetFalsePositiveRate.ToString("R", CultureInfo.InvariantCulture));
    }

    private static void AppendMahalanobis(GraphBuilder b, string x, MahalanobisSummary summary, int opset)
    {
        int d = summary.Dimension, k = summary.ClassCount;
        if (summary.Preprocessing.L2Normalize)
        {
            string norm = Reduce(b, "ReduceL2", x, "ood_l2_norm", opset, keepdims: true);
            var floor = b.AddNode("Max", [norm, b.AddInitializer("ood.l2.floor", [Data.FeaturePreprocessing.NormFloor], [])], name: "ood_l2_floor");
            x = b.AddNode("Div", [x, floor.Output], name: "ood_l2_normalize").Output;
        }
        string z = b.AddNode("Gemm", [x, b.AddInitializer("ood.whitening", summary.Whitening, [d, d])], name: "ood_whiten").Int("transB", 1).Output;
        string products = b.AddNode("Gemm", [z, b.AddInitializer("ood.whitened_means", summary.WhitenedMeans, [k, d])], name: "ood_mean_products").Int("transB", 1).Output;
        string norms = Reduce(b, "ReduceSumSquare", z, "ood_squared_norm", opset, keepdims: true);
        string twice = b.AddNode("Mul", [products, b.AddInitializer("ood.two", [2f], [])], name: "ood_twice_products").Output;
        string difference = b.AddNode("Sub", [norms, twice], name: "ood_norm_minus_products").Output;
        string distances = b.AddNode("Add", [difference, b.AddInitializer("ood.mean_squared_norms", summary.MeanSquaredNorms, [k])], name: "ood_distances").Output;
        Reduce(b, "ReduceMin", distances, "ood_min_distance", opset, keepdims: false, output: ModelLayout.OodScoreOutput);
    }

    /// <summary>A reduction over axis 1: the axes an attribute before opset 18, an input from 18.</summary>
    private static string Reduce(GraphBuilder b, string op, string input, string name, int opset, bool keepdims, string? output = null)
    {
        var outputs = output is null ? null : new[] { output };
        var node = opset >= 18
            ? b.AddNode(op, [input, b.AddInitializer($"{name}.axes", [1L], [1])], outputs, name)
            : b.AddNode(op, [input], outputs, name).Ints("axes", 1);
        return node.Int("keepdims", keepdims ? 1 : 0).Output;
    }
}
