using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Finds the feature tensor of a classifier backbone: the input of the last Gemm, MatMul(+Add) or 1x1 Conv that produces
/// the class logits. It walks back from a graph output through the layers that usually follow the classifier (Softmax,
/// Identity, Flatten, Reshape, Squeeze, global pooling, quantise/dequantise) and, on the classifier's input side, through
/// quantise/dequantise pairs, so that in a quantised model the float tensor is found rather than its quantised copy.
/// Handles torchvision exports (Flatten → Gemm), ONNX model zoo ResNets (GlobalAveragePool → Reshape/Flatten → Gemm),
/// MatMul+Add classifiers and 1x1 convolution classifiers.
/// </summary>
public sealed class FeatureTensorLocator
{
    private static readonly HashSet<string> AfterClassifier = new(StringComparer.Ordinal)
    {
        "Softmax", "LogSoftmax", "Sigmoid", "Identity", "Flatten", "Reshape", "Squeeze", "Dropout", "QuantizeLinear",
        "DequantizeLinear", "GlobalAveragePool", "ReduceMean", "Relu", "Cast",
    };

    /// <param name="startOutput">The graph output holding the logits or probabilities; null for the model's first output.</param>
    public FeatureTensorLocator(string? startOutput = null) => StartOutput = startOutput;

    public string? StartOutput { get; }

    /// <exception cref="FeatureTensorNotFoundException">No classifier layer was recognised; the message explains.</exception>
    public FeatureTensor Locate(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Proto.Graph;
        if (graph.Output.Count == 0) throw new FeatureTensorNotFoundException("The model has no outputs to walk back from.");
        var start = StartOutput ?? graph.Output[0].Name;
        if (graph.Output.All(o => o.Name != start))
            throw new FeatureTensorNotFoundException(
                $"'{start}' is not an output of the model; its outputs are {string.Join(", ", graph.Output.Select(o => $"'{o.Name}'"))}.");

        var index = new GraphIndex(graph);
        var walked = new List<NodeInfo>();
        var tensor = start;
        for (var steps = 0; steps <= graph.Node.Count; steps++)
        {
            var position = index.ProducerIndex(tensor);
            if (position < 0)
                throw NotFound(start, walked, $"reached '{tensor}', which is a graph input or initializer, not the output of a layer");
            var node = graph.Node[position];
            var info = OnnxModel.Describe(node, position);
            if (OpsetImport.NormalizeDomain(node.Domain).Length != 0)
                throw NotFound(start, walked, $"reached {info.Describe()} of domain '{node.Domain}', which is not a classifier layer");

            switch (node.OpType)
            {
                case "Gemm":
                    return FromGemm(model, index, node, info, start, walked);
                case "MatMul":
                    return FromMatMul(model, index, node, info, start, walked);
                case "Add" when MatMulWithBias(index, node) is { } matMul:
                    walked.Add(info);
                    return FromMatMul(model, index, matMul.Node, OnnxModel.Describe(matMul.Node, matMul.Index), start, walked);
                case "Conv":
                    return FromConv(model, index, node, info, start, walked);
                case var op when AfterClassifier.Contains(op) && node.Input.Count > 0:
                    walked.Add(info);
                    tensor = node.Input[0];
                    break;
                default:
                    throw NotFound(start, walked, $"reached {info.Describe()}, which is not a classifier layer (Gemm, MatMul, MatMul+Add or 1x1 Conv) " +
                                                  "nor a layer that usually follows one");
            }
        }
        throw NotFound(start, walked, "found a cycle in the graph");
    }

    /// <summary>
    /// Whether a tensor is already one vector per example (rank 2) or still needs pooling (rank 3 sequence, rank 4 feature
    /// map), from its declared or inferred shape.
    /// </summary>
    public static FeatureLayout LayoutOf(OnnxModel model, string tensorName) => LayoutOf(model.FindTensor(tensorName)?.Shape);

    internal static FeatureLayout LayoutOf(TensorShape? shape) => shape?.Rank switch
    {
        null => FeatureLayout.Unknown,
        2 => FeatureLayout.Pooled,
        3 => FeatureLayout.Sequence,
        4 => FeatureLayout.Spatial,
        _ => FeatureLayout.Other,
    };

    private static FeatureTensor FromGemm(OnnxModel model, GraphIndex index, NodeProto gemm, NodeInfo info, string start, List<NodeInfo> walked)
    {
        if (GraphIndex.IntAttribute(gemm, "transA", 0) != 0)
            throw NotFound(start, walked, $"reached {info.Describe()} with transA=1, whose input is transposed features; name the tensor explicitly");
        var weight = gemm.Input[1];
        var shape = WeightShape(index, weight);
        if (shape is not { Length: 2 })
            throw NotFound(start, walked, $"reached {info.Describe()}, but the shape of its weight '{weight}' is not known");
        var transB = GraphIndex.IntAttribute(gemm, "transB", 0) != 0;
        // Gemm computes A·B (or A·Bᵀ): B is [features, classes], or [classes, features] with transB=1.
        return Found(model, index, gemm.Input[0], transB ? shape[1] : shape[0], transB ? shape[0] : shape[1], info, weight, start, walked);
    }

    private static FeatureTensor FromMatMul(OnnxModel model, GraphIndex index, NodeProto matMul, NodeInfo info, string start, List<NodeInfo> walked)
    {
        var weight = matMul.Input[1];
        var shape = WeightShape(index, weight);
        if (shape is not { Length: 2 })
            throw NotFound(start, walked, $"reached {info.Describe()}, but its second input '{weight}' is not a constant 2-D weight (so it is not a classifier)");
        // MatMul computes X·W with W [features, classes].
        return Found(model, index, matMul.Input[0], shape[0], shape[1], info, weight, start, walked);
    }

    private static FeatureTensor FromConv(OnnxModel model, GraphIndex index, NodeProto conv, NodeInfo info, string start, List<NodeInfo> walked)
    {
        var weight = conv.Input[1];
        var shape = WeightShape(index, weight);
        if (shape is not { Length: 4 } || shape[2] != 1 || shape[3] != 1)
            throw NotFound(start, walked, $"reached {info.Describe()} with weight '{weight}' of shape " +
                                          $"[{string.Join(",", shape ?? [])}], which is not a 1x1 convolution classifier");
        if (GraphIndex.IntAttribute(conv, "group", 1) != 1)
            throw NotFound(start, walked, $"reached {info.Describe()}, a grouped convolution, not a classifier");
        // A 1x1 Conv weight is [classes, features, 1, 1].
        return Found(model, index, conv.Input[0], shape[1], shape[0], info, weight, start, walked);
    }

    private static FeatureTensor Found(OnnxModel model, GraphIndex index, string input, long dimension, long classes, NodeInfo classifier,
        string weight, string start, List<NodeInfo> walked)
    {
        // In a QDQ model the classifier reads DequantizeLinear(QuantizeLinear(features)): step back to the float tensor.
        var feature = input;
        var graph = index.Graph;
        while (index.ProducerIndex(feature) is var dq and >= 0 && graph.Node[dq] is { OpType: "DequantizeLinear" } dequantize
               && index.ProducerIndex(dequantize.Input[0]) is var q and >= 0 && graph.Node[q] is { OpType: "QuantizeLinear" } quantize)
        {
            walked.Add(OnnxModel.Describe(dequantize, dq));
            walked.Add(OnnxModel.Describe(quantize, q));
            feature = quantize.Input[0];
        }
        var info = TensorTypeInference.Run(index).GetValueOrDefault(feature);
        return new FeatureTensor(feature, info?.ElementType ?? OnnxDataType.Undefined, checked((int)dimension), info?.Shape,
            LayoutOf(info?.Shape), classifier, weight, classes, start, walked.ToArray());
    }

    /// <summary>The Add of a MatMul+Add classifier: one input is a constant bias, the other a MatMul's output.</summary>
    private static (NodeProto Node, int Index)? MatMulWithBias(GraphIndex index, NodeProto add)
    {
        if (add.Input.Count != 2) return null;
        for (var side = 0; side < 2; side++)
        {
            var producer = index.ProducerIndex(add.Input[side]);
            if (producer >= 0 && index.Graph.Node[producer].OpType == "MatMul" && WeightShape(index, add.Input[1 - side]) is not null)
                return (index.Graph.Node[producer], producer);
        }
        return null;
    }

    /// <summary>
    /// The dims of a constant weight: an initializer, a Constant, or either behind DequantizeLinear, Identity or Transpose.
    /// Null for tensors computed from the input.
    /// </summary>
    private static long[]? WeightShape(GraphIndex index, string name)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            if (index.Initializer(name) is { } initializer) return initializer.Dims.ToArray();
            var node = index.Producer(name);
            switch (node)
            {
                case { OpType: "Constant" } when GraphIndex.Attribute(node, "value") is { T: { } t }:
                    return t.Dims.ToArray();
                case { OpType: "DequantizeLinear" or "Identity" or "Cast" }:
                    name = node.Input[0];
                    break;
                case { OpType: "Transpose" }:
                {
                    var inner = WeightShape(index, node.Input[0]);
                    if (inner is null) return null;
                    var perm = GraphIndex.IntsAttribute(node, "perm")?.ToArray() ?? Enumerable.Range(0, inner.Length).Reverse().Select(i => (long)i).ToArray();
                    return perm.Length == inner.Length ? perm.Select(p => inner[p]).ToArray() : null;
                }
                default:
                    return null;
            }
        }
        return null;
    }

    private static FeatureTensorNotFoundException NotFound(string start, List<NodeInfo> walked, string what)
    {
        var path = walked.Count == 0 ? "" : $" through {string.Join(" → ", walked.Select(n => n.Describe()))}";
        return new FeatureTensorNotFoundException(
            $"No classifier layer found: walking back from output '{start}'{path}, the search {what}. " +
            "Name the feature tensor explicitly (the input of the layer that computes the class scores).");
    }
}
