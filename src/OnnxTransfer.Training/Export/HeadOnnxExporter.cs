using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Export;

/// <summary>What <see cref="HeadOnnxExporter.Export"/> produced and decided.</summary>
/// <param name="StandardizationFolded">True when the standardisation went into the first Gemm's weights.</param>
/// <param name="FoldProbabilityChange">Largest probability change folding made on the probe rows (0 when not folded or not standardised).</param>
/// <param name="Decision">The standardisation decision in words, for the user.</param>
public sealed record HeadExport(OnnxModel Model, bool StandardizationFolded, double FoldProbabilityChange, string Decision)
{
    /// <summary>The default-domain opset the head graph uses (null when it imports none).</summary>
    public long? Opset => Model.GetOpsetVersion("");
}

/// <summary>
/// Writes a <see cref="Head"/> as an ONNX model any ONNX Runtime can run: input <c>features</c> float [batch, D];
/// optional L2 normalisation (ReduceL2, Max with 1e-12, Div — as the trainer); standardisation folded into the first
/// Gemm or as Sub/Div nodes (<see cref="StandardizationExport"/>); one <c>Gemm(transB=1)</c> per dense layer with Relu,
/// or GELU (a <c>Gelu</c> node from opset 20, <c>0.5·x·(1 + Erf(x/√2))</c> below); Softmax into <c>probabilities</c>
/// [batch, C] and ArgMax into <c>label_index</c> int64 [batch] (ties: the lower index, as the trainer). Labels,
/// settings, metrics and the cache fingerprint go into <c>metadata_props</c> (docs/formats.md);
/// <see cref="HeadOnnxImporter"/> reads the head back.
/// </summary>
/// <remarks>
/// Folding (<see cref="StandardizationExport.Auto"/>): W' = W·diag(1/scale), b' = b − W'·mean is exact in real
/// arithmetic but not in float, because the folded product and bias can be large and cancel. The exporter folds when the
/// largest probability change on probe rows drawn around the training distribution (mean ± 1σ and 3σ, deliberately
/// wider than real data) stays within <see cref="HeadExportOptions.FoldTolerance"/> (default 1e-5, the parity budget
/// against the trainer), and otherwise keeps Sub/Div nodes, which compute exactly what the trainer computes. On the
/// MobileNetV2 hymenoptera heads folding changes probabilities by 1e-7–5e-7 on the real val rows (≈1e-6 on the probes),
/// so they fold. Folding saves two element-wise passes over [batch, D] and leaves one Gemm per layer for a runtime to
/// fuse.
/// </remarks>
public static class HeadOnnxExporter
{
    /// <summary>Builds the head's ONNX model (validated) without writing it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An invalid option (e.g. an opset outside 13..23).</exception>
    public static HeadExport Export(Head head, HeadExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        options ??= new HeadExportOptions();
        options.Validate();

        var (exported, folded, foldError, decision) = DecideStandardization(head, options);
        var b = new GraphBuilder("onnxtransfer-head", options.Opset) { ProducerName = "OnnxTransfer" };
        int d = head.InputDimension;
        string input = b.AddInput(ModelLayout.HeadInput, OnnxDataType.Float, "batch", d);
        string x = input;

        if (exported.Preprocessing.L2Normalize)
        {
            var reduce = options.Opset >= 18
                ? b.AddNode("ReduceL2", [x, b.AddInitializer("l2.axes", [1L], [1])], name: "l2_norm").Int("keepdims", 1)
                : b.AddNode("ReduceL2", [x], name: "l2_norm").Ints("axes", 1).Int("keepdims", 1);
            var floor = b.AddNode("Max", [reduce.Output, b.AddInitializer("l2.floor", [Data.FeaturePreprocessing.NormFloor], [])], name: "l2_floor");
            x = b.AddNode("Div", [x, floor.Output], name: "l2_normalize").Output;
        }
        if (exported.Preprocessing.Standardize)
        {
            x = b.AddNode("Sub", [x, b.AddInitializer("standardize.mean", exported.Preprocessing.Mean!, [d])], name: "standardize_center").Output;
            x = b.AddNode("Div", [x, b.AddInitializer("standardize.scale", exported.Preprocessing.Scale!, [d])], name: "standardize_scale").Output;
        }

        var layerNames = new List<(string, string)>();
        for (int l = 0; l < exported.Layers.Count; l++)
        {
            var layer = exported.Layers[l];
            string weight = b.AddInitializer($"layer{l}.weight", layer.Weights, [layer.OutputCount, layer.InputCount]);
            string bias = b.AddInitializer($"layer{l}.bias", layer.Bias, [layer.OutputCount]);
            layerNames.Add((weight, bias));
            x = b.AddNode("Gemm", [x, weight, bias], name: $"layer{l}").Int("transB", 1).Output;
            x = layer.Activation switch
            {
                Activation.Relu => b.AddNode("Relu", [x], name: $"layer{l}_relu").Output,
                Activation.Gelu => AddGelu(b, x, l, options.Opset),
                _ => x,
            };
        }
        if (exported.Vote is { } vote) NeighbourVoteExport.Append(b, x, vote, ModelLayout.ProbabilitiesOutput);
        else b.AddNode("Softmax", [x], [ModelLayout.ProbabilitiesOutput], name: "softmax").Int("axis", 1);
        b.AddNode("ArgMax", [ModelLayout.ProbabilitiesOutput], [ModelLayout.LabelIndexOutput], name: "argmax").Int("axis", 1).Int("keepdims", 0);
        b.AddOutput(ModelLayout.ProbabilitiesOutput, OnnxDataType.Float, "batch", head.ClassCount);
        b.AddOutput(ModelLayout.LabelIndexOutput, OnnxDataType.Int64, "batch");
        if (options.Ood is { } ood) OodExport.Append(b, input, x, ModelLayout.ProbabilitiesOutput, ood, options.Opset);

        string standardize = !head.Preprocessing.Standardize ? HeadMetadataJson.StandardizeNone
            : folded ? HeadMetadataJson.StandardizeFolded : HeadMetadataJson.StandardizeNodes;
        new HeadMetadata
        {
            Labels = head.Labels,
            Structure = HeadMetadataJson.HeadJson(exported, standardize, options.Opset, foldError, layerNames),
            MetricsJson = HeadMetadataJson.MetricsJson(options.Metrics, options.Sweep),
            CacheFingerprint = options.Fingerprint,
            CacheNumericsJson = options.CacheNumerics?.Json,
        }.WriteTo((key, value) => b.SetMetadata(key, value));
        foreach (var (key, value) in options.ExtraMetadata) b.SetMetadata(key, value);
        return new HeadExport(b.Build(), folded, foldError, decision);
    }

    /// <summary>Exports and writes the head to <paramref name="path"/> atomically.</summary>
    public static HeadExport Save(Head head, string path, HeadExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var export = Export(head, options);
        export.Model.Save(path);
        return export;
    }

    private static (Head Exported, bool Folded, double Error, string Decision) DecideStandardization(Head head, HeadExportOptions options)
    {
        if (!head.Preprocessing.Standardize) return (head, false, 0, "no standardisation");
        if (options.Standardization == StandardizationExport.Nodes) return (head, false, 0, "standardisation as Sub/Div nodes (requested)");
        var folded = StandardizationFolding.Fold(head);
        double error = StandardizationFolding.ProbabilityError(head, folded);
        string measured = $"max probability change {error:G2} on probe rows";
        if (options.Standardization == StandardizationExport.Fold) return (folded, true, error, $"standardisation folded into the first Gemm (requested; {measured})");
        return error <= options.FoldTolerance
            ? (folded, true, error, $"standardisation folded into the first Gemm ({measured} ≤ {options.FoldTolerance:G2})")
            : (head, false, 0, $"standardisation kept as Sub/Div nodes: folding would change probabilities by up to {error:G2} > {options.FoldTolerance:G2}");
    }

    /// <summary>Exact GELU: one node from opset 20; before, x·0.5·(1 + Erf(x/√2)).</summary>
    private static string AddGelu(GraphBuilder b, string x, int layer, int opset)
    {
        if (opset >= 20) return b.AddNode("Gelu", [x], name: $"layer{layer}_gelu").Output;
        string scaled = b.AddNode("Div", [x, b.AddInitializer($"layer{layer}_gelu.sqrt2", [MathF.Sqrt(2f)], [])], name: $"layer{layer}_gelu_scale").Output;
        string erf = b.AddNode("Erf", [scaled], name: $"layer{layer}_gelu_erf").Output;
        string onePlus = b.AddNode("Add", [erf, b.AddInitializer($"layer{layer}_gelu.one", [1f], [])], name: $"layer{layer}_gelu_add").Output;
        string product = b.AddNode("Mul", [x, onePlus], name: $"layer{layer}_gelu_mul").Output;
        return b.AddNode("Mul", [product, b.AddInitializer($"layer{layer}_gelu.half", [0.5f], [])], name: $"layer{layer}_gelu").Output;
    }
}
