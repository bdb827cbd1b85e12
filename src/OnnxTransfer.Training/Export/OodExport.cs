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
/// <c>min_k ReduceSumSquare(Unsqueeze(z, 1) − Wμ)</c> over [batch, k, d] — the operations of
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
        // [batch, 1, d] − [k, d] → [batch, k, d]: the differences themselves, so nothing cancels (see MahalanobisSummary).
        string column = b.AddNode("Unsqueeze", [z, b.AddInitializer("ood.axis1", [1L], [1])], name: "ood_unsqueeze").Output;
        string difference = b.AddNode("Sub", [column, b.AddInitializer("ood.whitened_means", summary.WhitenedMeans, [k, d])], name: "ood_differences").Output;
        string distances = Reduce(b, "ReduceSumSquare", difference, "ood_distances", opset, keepdims: false, axis: 2);
        Reduce(b, "ReduceMin", distances, "ood_min_distance", opset, keepdims: false, output: ModelLayout.OodScoreOutput);
    }

    /// <summary>A reduction over one axis (1 unless given): the axes an attribute before opset 18, an input from 18.</summary>
    private static string Reduce(GraphBuilder b, string op, string input, string name, int opset, bool keepdims, string? output = null, long axis = 1)
    {
        var outputs = output is null ? null : new[] { output };
        var node = opset >= 18
            ? b.AddNode(op, [input, b.AddInitializer($"{name}.axes", [axis], [1])], outputs, name)
            : b.AddNode(op, [input], outputs, name).Ints("axes", axis);
        return node.Int("keepdims", keepdims ? 1 : 0).Output;
    }
}
