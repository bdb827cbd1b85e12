using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

public sealed partial class OnnxModel
{
    /// <summary>
    /// Adds intermediate tensors as extra graph outputs (existing outputs stay). Each needs an element type: declared in
    /// value_info, or inferred through the operators that produce it; the shape is included when known.
    /// Tensors that already are outputs are left as they are.
    /// </summary>
    /// <exception cref="OnnxModelException">No such tensor, or its type cannot be determined.</exception>
    public void ExposeOutput(params string[] tensorNames)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var index = new GraphIndex(Graph);
        var known = TensorTypeInference.Run(index);
        var existing = new HashSet<string>(Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var name in tensorNames.Distinct(StringComparer.Ordinal))
        {
            if (existing.Contains(name)) continue;
            Graph.Output.Add(OutputInfo(index, known, name));
        }
    }

    /// <summary>
    /// Makes <paramref name="tensorNames"/> the only graph outputs and removes every node, initializer, graph input,
    /// value_info and quantisation annotation not needed to compute them (walking back from them), and model-local
    /// functions no remaining node calls. The result is a smaller, valid model: e.g. a backbone cut at its feature tensor.
    /// </summary>
    /// <exception cref="OnnxModelException">A name is not a tensor of the graph, or its type cannot be determined.</exception>
    public void CutAt(params string[] tensorNames)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        if (tensorNames.Length == 0) throw new ArgumentException("Name at least one tensor to cut the graph at.", nameof(tensorNames));
        var index = new GraphIndex(Graph);
        var known = TensorTypeInference.Run(index);
        var outputs = tensorNames.Distinct(StringComparer.Ordinal).Select(name => OutputInfo(index, known, name)).ToList();
        Graph.Output.Clear();
        Graph.Output.AddRange(outputs);
        GraphPruning.RemoveUnreachable(Proto);
    }

    /// <summary>The value_info a tensor gets as a graph output: the existing one if it is an output, else a typed new one.</summary>
    private ValueInfoProto OutputInfo(GraphIndex index, Dictionary<string, TensorInfo> known, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var current = Graph.Output.FirstOrDefault(o => o.Name == name);
        if (current is not null) return current;
        if (!index.IsDefined(name))
            throw new OnnxModelException($"The graph has no tensor named '{name}'{SimilarNames(name)}. " +
                                         "Tensor names are case-sensitive; list them with `onnxtransfer inspect` or OnnxModel.Nodes.");
        if (!known.TryGetValue(name, out var info) || info.ElementType == OnnxDataType.Undefined)
        {
            var producer = index.Producer(name);
            throw new OnnxModelException(
                $"The element type of tensor '{name}'{(producer is null ? "" : $" (output of {producer.OpType} '{producer.Name}')")} is not declared " +
                "and cannot be inferred from its operator: add a value_info for it (e.g. run ONNX shape inference on the model) and try again.");
        }
        return ValueInfos.Create(info);
    }

    private string SimilarNames(string name)
    {
        var candidates = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var node in Graph.Node)
            foreach (var output in node.Output)
                if (output.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(output, StringComparison.OrdinalIgnoreCase) && output.Length > 2)
                    candidates.Add(output);
        return candidates.Count == 0 ? "" : $" (similar: {string.Join(", ", candidates.Take(5).Select(c => $"'{c}'"))})";
    }
}
