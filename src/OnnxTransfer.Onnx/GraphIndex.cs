using Google.Protobuf.Collections;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Look-up tables over one graph (who produces a tensor, who consumes it, which names are initializers or inputs), built
/// once per query so that walks over large graphs stay linear. A snapshot: rebuild after editing the graph.
/// </summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<string, int> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inputs = new(StringComparer.Ordinal);

    public GraphIndex(GraphProto graph)
    {
        Graph = graph;
        foreach (var t in graph.Initializer) _initializers.TryAdd(t.Name, t);
        foreach (var v in graph.Input) _inputs.Add(v.Name);
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            foreach (var output in node.Output)
                if (output.Length > 0) _producer.TryAdd(output, i);
            foreach (var input in NodeInputs(node))
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<int>(2);
                if (list.Count == 0 || list[^1] != i) list.Add(i);
            }
        }
    }

    public GraphProto Graph { get; }

    public NodeProto? Producer(string tensor) => _producer.TryGetValue(tensor, out var i) ? Graph.Node[i] : null;

    public int ProducerIndex(string tensor) => _producer.TryGetValue(tensor, out var i) ? i : -1;

    public IReadOnlyList<int> ConsumerIndices(string tensor) =>
        _consumers.TryGetValue(tensor, out var list) ? list : Array.Empty<int>();

    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    public bool IsGraphInput(string name) => _inputs.Contains(name);

    /// <summary>True if some node, initializer or graph input defines the tensor.</summary>
    public bool IsDefined(string name) => _producer.ContainsKey(name) || _initializers.ContainsKey(name) || _inputs.Contains(name);

    /// <summary>
    /// Every tensor a node reads: its declared inputs and the outer-scope tensors its subgraphs (If/Loop/Scan bodies)
    /// refer to without defining them, because cutting or validating must treat those as inputs too.
    /// </summary>
    public static IEnumerable<string> NodeInputs(NodeProto node)
    {
        foreach (var input in node.Input)
            if (input.Length > 0) yield return input;
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is { } g)
                foreach (var name in OuterScopeReferences(g)) yield return name;
            foreach (var sub in attribute.Graphs)
                foreach (var name in OuterScopeReferences(sub)) yield return name;
        }
    }

    /// <summary>Names a subgraph reads that neither its nodes, its initializers nor its inputs define.</summary>
    public static IEnumerable<string> OuterScopeReferences(GraphProto graph)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in graph.Input) defined.Add(v.Name);
        foreach (var t in graph.Initializer) defined.Add(t.Name);
        foreach (var node in graph.Node)
            foreach (var output in node.Output) defined.Add(output);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var input in NodeInputs(node))
                if (!defined.Contains(input) && seen.Add(input)) yield return input;
        foreach (var output in graph.Output)
            if (!defined.Contains(output.Name) && seen.Add(output.Name)) yield return output.Name;
    }

    /// <summary>Every subgraph held by a node's attributes (one level deep).</summary>
    public static IEnumerable<GraphProto> Subgraphs(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is { } g) yield return g;
            foreach (var sub in attribute.Graphs) yield return sub;
        }
    }

    public static AttributeProto? Attribute(NodeProto node, string name)
    {
        foreach (var a in node.Attribute)
            if (a.Name == name) return a;
        return null;
    }

    public static long IntAttribute(NodeProto node, string name, long fallback) =>
        Attribute(node, name) is { HasI: true } a ? a.I : fallback;

    public static IReadOnlyList<long>? IntsAttribute(NodeProto node, string name) =>
        Attribute(node, name) is { } a && (a.Ints.Count > 0 || a.Type == AttributeProto.Types.AttributeType.Ints) ? a.Ints : null;

    public static string StringAttribute(NodeProto node, string name, string fallback) =>
        Attribute(node, name) is { HasS: true } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>
    /// The int64 values of a constant tensor (an initializer or a Constant node's output), e.g. a Reshape target shape or
    /// Squeeze axes; null when the tensor is computed at run time or is not integer.
    /// </summary>
    public long[]? ConstantInt64s(string name)
    {
        if (Initializer(name) is { } init) return TensorData.TryReadInt64s(init);
        if (Producer(name) is { OpType: "Constant" } constant)
        {
            if (Attribute(constant, "value") is { T: { } t }) return TensorData.TryReadInt64s(t);
            if (Attribute(constant, "value_ints") is { } ints) return ints.Ints.ToArray();
            if (Attribute(constant, "value_int") is { HasI: true } one) return [one.I];
        }
        return null;
    }

    /// <summary>Removes entries of a repeated field that fail the predicate, keeping the order of the rest.</summary>
    public static void RemoveWhere<T>(RepeatedField<T> field, Func<T, bool> remove)
    {
        var kept = field.Where(x => !remove(x)).ToList();
        if (kept.Count == field.Count) return;
        field.Clear();
        field.AddRange(kept);
    }
}
