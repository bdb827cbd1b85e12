using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Structural checks of a model, the ones an edit can break: nodes in topological order, every input defined before it
/// is read, unique tensor names, graph outputs produced, an operator set imported for every domain in use, typed graph
/// inputs and outputs, external data inside the model's directory. Not a full ONNX checker: operator semantics and
/// shapes are left to the runtime.
/// </summary>
internal sealed class ModelValidator
{
    private readonly List<string> _problems = [];
    private readonly HashSet<string> _domainsUsed = new(StringComparer.Ordinal);
    private readonly HashSet<(string Domain, string Name)> _functions = [];

    public static IReadOnlyList<string> Check(OnnxModel model)
    {
        var validator = new ModelValidator();
        validator.CheckModel(model);
        return validator._problems;
    }

    private void CheckModel(OnnxModel model)
    {
        var proto = model.Proto;
        if (proto.IrVersion <= 0) _problems.Add("ir_version is not set: set OnnxModel.IrVersion (e.g. 8).");
        foreach (var f in proto.Functions) _functions.Add((OpsetImport.NormalizeDomain(f.Domain), f.Name));

        CheckGraph(proto.Graph, outerScope: null, isMain: true, "graph");
        foreach (var function in proto.Functions) CheckFunction(function);

        var imported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var opset in proto.OpsetImport)
        {
            var domain = OpsetImport.NormalizeDomain(opset.Domain);
            if (!imported.Add(domain))
                _problems.Add($"Operator set domain '{Display(domain)}' is imported twice: keep one opset_import per domain.");
        }
        foreach (var domain in _domainsUsed.Order(StringComparer.Ordinal))
            if (!imported.Contains(domain))
                _problems.Add($"Nodes use operator domain '{Display(domain)}' but the model imports no operator set for it: add an opset_import.");

        foreach (var reference in model.ExternalData)
        {
            if (Path.IsPathRooted(reference.Location) || reference.Location.Split('/', '\\').Contains(".."))
                _problems.Add($"Tensor '{reference.TensorName}' keeps its data at '{reference.Location}', outside the model's directory; " +
                              "runtimes refuse such paths: save with ExternalDataMode.Consolidate.");
            else if (reference.ResolvedPath is not null && !reference.FileExists)
                _problems.Add($"External data file '{reference.ResolvedPath}' of tensor '{reference.TensorName}' does not exist: " +
                              "put it beside the model or re-save the model from where its data is.");
        }
    }

    private static string Display(string domain) => domain.Length == 0 ? "ai.onnx" : domain;

    private void CheckFunction(FunctionProto function)
    {
        var defined = new HashSet<string>(function.Input, StringComparer.Ordinal);
        var where = $"function '{function.Name}'";
        for (var i = 0; i < function.Node.Count; i++)
        {
            var node = function.Node[i];
            _domainsUsed.Add(OpsetImport.NormalizeDomain(node.Domain));
            foreach (var input in node.Input)
                if (input.Length > 0 && !defined.Contains(input))
                    _problems.Add($"In {where}, node {Name(node, i)} reads '{input}', which no earlier node of the function or function input defines.");
            foreach (var output in node.Output)
                if (output.Length > 0) defined.Add(output);
        }
        foreach (var output in function.Output)
            if (!defined.Contains(output)) _problems.Add($"In {where}, output '{output}' is produced by no node.");
    }

    /// <summary>Checks one graph; <paramref name="outerScope"/> holds the names visible from enclosing graphs.</summary>
    private void CheckGraph(GraphProto graph, IReadOnlySet<string>? outerScope, bool isMain, string where)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var laterProducers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Node.Count; i++)
            foreach (var output in graph.Node[i].Output)
                if (output.Length > 0) laterProducers.TryAdd(output, i);

        foreach (var input in graph.Input)
        {
            if (input.Name.Length == 0) _problems.Add($"A {where} input has no name.");
            else if (!defined.Add(input.Name)) _problems.Add($"{Capital(where)} input '{input.Name}' is declared twice.");
            if (isMain && !HasType(input))
                _problems.Add($"{Capital(where)} input '{input.Name}' has no element type: give it a tensor type.");
        }
        var inputNames = new HashSet<string>(defined, StringComparer.Ordinal);
        var initializerNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            if (t.Name.Length == 0) _problems.Add($"A {where} initializer has no name.");
            else if (!initializerNames.Add(t.Name)) _problems.Add($"Initializer '{t.Name}' is defined twice in the {where}.");
            else if (!inputNames.Contains(t.Name)) defined.Add(t.Name); // an initializer may double as a graph input (IR < 4)
            if (t.DataType == 0) _problems.Add($"Initializer '{t.Name}' has no data_type.");
        }
        foreach (var s in graph.SparseInitializer)
            if (s.Values is { } values && !defined.Add(values.Name))
                _problems.Add($"Sparse initializer '{values.Name}' clashes with another tensor of the {where}.");

        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            var label = Name(node, i);
            if (node.OpType.Length == 0) _problems.Add($"Node {label} of the {where} has no op_type.");
            var domain = OpsetImport.NormalizeDomain(node.Domain);
            _domainsUsed.Add(domain);

            foreach (var input in node.Input)
            {
                if (input.Length == 0 || defined.Contains(input) || (outerScope?.Contains(input) ?? false)) continue;
                _problems.Add(laterProducers.TryGetValue(input, out var producer) && producer > i
                    ? $"Node {label} reads '{input}' before node {Name(graph.Node[producer], producer)} produces it: the {where}'s nodes are not in topological order."
                    : $"Node {label} reads '{input}', which no node, initializer or input of the {where} defines.");
            }

            // Subgraphs see everything defined so far in this graph and in the enclosing ones.
            foreach (var sub in GraphIndex.Subgraphs(node))
            {
                var visible = new HashSet<string>(defined, StringComparer.Ordinal);
                if (outerScope is not null) visible.UnionWith(outerScope);
                CheckGraph(sub, visible, isMain: false, $"subgraph '{sub.Name}' of node {label}");
            }

            foreach (var output in node.Output)
            {
                if (output.Length == 0) continue;
                if (!defined.Add(output))
                    _problems.Add($"Tensor '{output}' is produced by node {label} but is already defined (by an earlier node, an initializer " +
                                  "or an input): every tensor name must be assigned once.");
            }
        }

        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in graph.Output)
        {
            if (!outputs.Add(output.Name)) _problems.Add($"{Capital(where)} output '{output.Name}' is listed twice.");
            if (!defined.Contains(output.Name) && !(outerScope?.Contains(output.Name) ?? false))
                _problems.Add($"{Capital(where)} output '{output.Name}' is produced by no node, initializer or input.");
            if (isMain && !HasType(output))
                _problems.Add($"{Capital(where)} output '{output.Name}' has no element type: give it a tensor type.");
        }
        if (isMain && graph.Output.Count == 0) _problems.Add("The graph has no outputs.");
    }

    /// <summary>A tensor type with an element type, or some other (sequence, map…) type this schema keeps as unknown fields.</summary>
    private static bool HasType(ValueInfoProto value) => value.Type switch
    {
        null => false,
        { ValueCase: TypeProto.ValueOneofCase.TensorType } t => t.TensorType.ElemType != 0,
        var t => t.CalculateSize() > 0,
    };

    private static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Name(NodeProto node, int index) => node.Name.Length > 0 ? $"'{node.Name}' ({node.OpType})" : $"#{index} ({node.OpType})";
}
