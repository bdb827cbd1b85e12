using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Removes what the graph outputs do not need: a reverse-reachability walk from the outputs keeps exactly the nodes,
/// initializers, inputs and annotations on some path to an output.
/// </summary>
internal static class GraphPruning
{
    public static void RemoveUnreachable(ModelProto model)
    {
        var graph = model.Graph;
        var needed = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var keep = new bool[graph.Node.Count];
        // Nodes are in topological order, so one backward pass sees every consumer before its producers.
        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (!node.Output.Any(needed.Contains)) continue;
            keep[i] = true;
            foreach (var input in GraphIndex.NodeInputs(node)) needed.Add(input);
        }
        var produced = new HashSet<string>(StringComparer.Ordinal);
        var keptNodes = new List<NodeProto>(graph.Node.Count);
        for (var i = 0; i < keep.Length; i++)
        {
            if (!keep[i]) continue;
            keptNodes.Add(graph.Node[i]);
            foreach (var output in graph.Node[i].Output) produced.Add(output);
        }
        graph.Node.Clear();
        graph.Node.AddRange(keptNodes);

        var outputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        GraphIndex.RemoveWhere(graph.Initializer, t => !needed.Contains(t.Name));
        GraphIndex.RemoveWhere(graph.SparseInitializer, s => s.Values is null || !needed.Contains(s.Values.Name));
        GraphIndex.RemoveWhere(graph.Input, v => !needed.Contains(v.Name));
        // value_info describes intermediate tensors only; outputs carry their own type.
        GraphIndex.RemoveWhere(graph.ValueInfo, v => !produced.Contains(v.Name) || outputs.Contains(v.Name));
        GraphIndex.RemoveWhere(graph.QuantizationAnnotation, a => !needed.Contains(a.TensorName) && !produced.Contains(a.TensorName));
        RemoveUnusedFunctions(model);
    }

    private static void RemoveUnusedFunctions(ModelProto model)
    {
        if (model.Functions.Count == 0) return;
        var byKey = model.Functions.ToDictionary(f => (OpsetImport.NormalizeDomain(f.Domain), f.Name));
        var used = new HashSet<(string, string)>();
        var pending = new Stack<NodeProto>(AllNodes(model.Graph));
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            var key = (OpsetImport.NormalizeDomain(node.Domain), node.OpType);
            if (byKey.TryGetValue(key, out var function) && used.Add(key))
                foreach (var inner in function.Node) pending.Push(inner);
        }
        GraphIndex.RemoveWhere(model.Functions, f => !used.Contains((OpsetImport.NormalizeDomain(f.Domain), f.Name)));
    }

    private static IEnumerable<NodeProto> AllNodes(GraphProto graph)
    {
        foreach (var node in graph.Node)
        {
            yield return node;
            foreach (var sub in GraphIndex.Subgraphs(node))
                foreach (var inner in AllNodes(sub)) yield return inner;
        }
    }
}
