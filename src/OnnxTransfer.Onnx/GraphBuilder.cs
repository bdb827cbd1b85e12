using System.Text;
using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// Creates an ONNX model from scratch: typed inputs and outputs (with symbolic dimensions such as "batch"),
/// initializers from spans, nodes with attributes. Used to export trained heads and to build test graphs.
/// <code>
/// var b = new GraphBuilder("head", opsetVersion: 15);
/// var x = b.AddInput("features", OnnxDataType.Float, "batch", 1280);
/// var w = b.AddInitializer("weight", weights, [classes, 1280]);
/// var logits = b.AddNode("Gemm", [x, w, bias]).Int("transB", 1).Output;
/// b.AddNode("Softmax", [logits], ["probabilities"]).Int("axis", 1);
/// b.AddOutput("probabilities");
/// var model = b.Build();
/// </code>
/// </summary>
public sealed class GraphBuilder
{
    private readonly ModelProto _model;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<string> _inferredOutputs = [];

    /// <param name="graphName">The graph's name.</param>
    /// <param name="opsetVersion">Version of the default ONNX operator set ("ai.onnx") the nodes are written for.</param>
    /// <param name="irVersion">ONNX IR version of the file; by default the one ONNX released with that opset (e.g. 8 for 15–18).</param>
    public GraphBuilder(string graphName = "graph", long opsetVersion = 17, long? irVersion = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(opsetVersion, 1);
        if (irVersion is < 3) throw new ArgumentOutOfRangeException(nameof(irVersion), irVersion, "ONNX IR versions start at 3 for operator-set models.");
        _model = new ModelProto
        {
            IrVersion = irVersion ?? OperatorHistory.IrVersionFor(opsetVersion),
            ProducerName = "OnnxTransfer",
            ProducerVersion = typeof(GraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = new GraphProto { Name = graphName },
        };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opsetVersion });
    }

    public string ProducerName { get => _model.ProducerName; set => _model.ProducerName = value; }

    /// <summary>Imports another operator set domain (e.g. "com.microsoft"), or changes the version of one already imported.</summary>
    public GraphBuilder ImportOpset(string domain, long version)
    {
        var normalized = OpsetImport.NormalizeDomain(domain);
        var existing = _model.OpsetImport.FirstOrDefault(o => OpsetImport.NormalizeDomain(o.Domain) == normalized);
        if (existing is not null) existing.Version = version;
        else _model.OpsetImport.Add(new OperatorSetIdProto { Domain = normalized, Version = version });
        return this;
    }

    public GraphBuilder SetMetadata(string key, string value)
    {
        GraphIndex.RemoveWhere(_model.MetadataProps, e => e.Key == key);
        _model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return this;
    }

    /// <summary>
    /// <paramref name="hint"/> if no tensor, node or initializer of this builder uses it yet, else hint_1, hint_2, … —
    /// the name is reserved by this call.
    /// </summary>
    public string UniqueName(string hint)
    {
        ArgumentException.ThrowIfNullOrEmpty(hint);
        if (_names.Add(hint)) return hint;
        for (var i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (_names.Add(candidate)) return candidate;
        }
    }

    private string Claim(string name, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Add(name))
            throw new ArgumentException($"The name '{name}' of this {what} is already used in the graph; use UniqueName(\"{name}\") for a free one.");
        return name;
    }

    /// <summary>Adds a graph input; dimensions are sizes or symbolic names (e.g. "batch"). Returns its name.</summary>
    public string AddInput(string name, OnnxDataType type, params TensorDimension[] shape)
    {
        _model.Graph.Input.Add(ValueInfos.Create(new TensorInfo(Claim(name, "input"), type, new TensorShape(shape))));
        return name;
    }

    /// <summary>Declares an existing tensor a graph output with the given type and shape.</summary>
    public GraphBuilder AddOutput(string name, OnnxDataType type, params TensorDimension[] shape)
    {
        _model.Graph.Output.Add(ValueInfos.Create(new TensorInfo(name, type, new TensorShape(shape))));
        return this;
    }

    /// <summary>Declares an existing tensor a graph output; its type and shape are inferred from the graph at <see cref="Build"/>.</summary>
    public GraphBuilder AddOutput(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _inferredOutputs.Add(name);
        _model.Graph.Output.Add(new ValueInfoProto { Name = name });
        return this;
    }

    public string AddInitializer(string name, ReadOnlySpan<float> values, ReadOnlySpan<long> dims) =>
        AddInitializer(name, OnnxDataType.Float, values, dims);

    public string AddInitializer(string name, ReadOnlySpan<long> values, ReadOnlySpan<long> dims) =>
        AddInitializer(name, OnnxDataType.Int64, values, dims);

    public string AddInitializer(string name, ReadOnlySpan<int> values, ReadOnlySpan<long> dims) =>
        AddInitializer(name, OnnxDataType.Int32, values, dims);

    /// <summary>
    /// Adds an initializer from any unmanaged element type stored as <paramref name="type"/> (e.g. sbyte as Int8 for
    /// quantised weights). The values are copied. Returns its name.
    /// </summary>
    public string AddInitializer<T>(string name, OnnxDataType type, ReadOnlySpan<T> values, ReadOnlySpan<long> dims) where T : unmanaged
    {
        if (type.SizeInBits() != 8 * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())
            throw new ArgumentException($"Values of {typeof(T).Name} cannot be stored as ONNX {type.DisplayName()}: the element sizes differ.", nameof(type));
        _model.Graph.Initializer.Add(TensorData.Create(Claim(name, "initializer"), type, values, dims));
        return name;
    }

    /// <summary>
    /// Adds a node. Without <paramref name="outputs"/> it gets one output named after the node. Without a name the node is
    /// named after its op type. Returns a handle to add attributes and read the output names.
    /// </summary>
    public NodeBuilder AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string>? outputs = null, string? name = null, string domain = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        var node = new NodeProto { OpType = opType, Name = name is null ? UniqueName(opType) : Claim(name, "node") };
        if (domain.Length > 0) node.Domain = domain;
        node.Input.AddRange(inputs);
        if (outputs is null) node.Output.Add(UniqueName(node.Name + "_output"));
        else foreach (var output in outputs) node.Output.Add(output.Length == 0 ? output : Claim(output, "node output"));
        _model.Graph.Node.Add(node);
        return new NodeBuilder(node);
    }

    /// <summary>
    /// The finished model, checked with <see cref="OnnxModel.Validate"/>. The builder can go on being used; later
    /// changes do not affect models already built.
    /// </summary>
    public OnnxModel Build()
    {
        var model = OnnxModel.FromProto(_model.Clone());
        var graph = model.Proto.Graph;
        if (model.IrVersion < 4)
        {
            // Before IR 4 every initializer also had to be listed as a graph input.
            var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var t in graph.Initializer.Where(t => !inputs.Contains(t.Name)))
                graph.Input.Add(ValueInfos.Create(new TensorInfo(t.Name, (OnnxDataType)t.DataType, TensorShape.FromDims(t.Dims))));
        }
        if (_inferredOutputs.Count > 0)
        {
            var known = TensorTypeInference.Run(new GraphIndex(model.Proto.Graph));
            foreach (var output in model.Proto.Graph.Output)
            {
                if (output.Type is not null) continue;
                if (!known.TryGetValue(output.Name, out var info) || info.ElementType == OnnxDataType.Undefined)
                    throw new OnnxModelException(
                        $"The type of output '{output.Name}' cannot be inferred (no node produces it, or its operator is not one the inference " +
                        "knows): give it with AddOutput(name, type, shape).");
                output.Type = ValueInfos.Create(info).Type;
            }
        }
        model.Validate();
        return model;
    }
}

/// <summary>A node being added by <see cref="GraphBuilder"/>: attribute setters (chainable) and its output names.</summary>
public sealed class NodeBuilder
{
    private readonly NodeProto _node;

    internal NodeBuilder(NodeProto node) => _node = node;

    public string Name => _node.Name;

    /// <summary>The first output's name.</summary>
    public string Output => _node.Output[0];

    public IReadOnlyList<string> Outputs => _node.Output;

    public NodeBuilder Int(string name, long value) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    public NodeBuilder Float(string name, float value) => Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    public NodeBuilder String(string name, string value) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(value, Encoding.UTF8) });

    public NodeBuilder Ints(string name, params ReadOnlySpan<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (var v in values) attribute.Ints.Add(v);
        return Add(attribute);
    }

    public NodeBuilder Floats(string name, params ReadOnlySpan<float> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        foreach (var v in values) attribute.Floats.Add(v);
        return Add(attribute);
    }

    /// <summary>A tensor attribute, e.g. Constant's "value" (float data with the given dims).</summary>
    public NodeBuilder Tensor(string name, ReadOnlySpan<float> values, ReadOnlySpan<long> dims) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = TensorData.Create("", OnnxDataType.Float, values, dims) });

    /// <summary>A tensor attribute of int64 values, e.g. a Constant holding a Reshape target shape.</summary>
    public NodeBuilder Tensor(string name, ReadOnlySpan<long> values, ReadOnlySpan<long> dims) =>
        Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = TensorData.Create("", OnnxDataType.Int64, values, dims) });

    private NodeBuilder Add(AttributeProto attribute)
    {
        ArgumentException.ThrowIfNullOrEmpty(attribute.Name);
        if (_node.Attribute.Any(a => a.Name == attribute.Name))
            throw new ArgumentException($"Node '{_node.Name}' already has an attribute '{attribute.Name}'.");
        _node.Attribute.Add(attribute);
        return this;
    }
}
