using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>
/// An ONNX model held as data: read it, look at it, edit it (expose or cut at a tensor, append a head, set metadata),
/// validate and write it. Edits change this instance; use <see cref="Clone"/> to keep the original. Everything not
/// modelled by this library (unknown fields, training info, newer schema additions) is carried through unchanged.
/// </summary>
public sealed partial class OnnxModel
{
    /// <summary>A protobuf message cannot exceed 2 GiB; bigger models must keep their weights as external data.</summary>
    public const long ProtobufSizeLimit = int.MaxValue;

    private OnnxModel(ModelProto proto, string? baseDirectory)
    {
        Proto = proto;
        BaseDirectory = baseDirectory is null ? null : Path.GetFullPath(baseDirectory);
        Proto.Graph ??= new GraphProto();
    }

    /// <summary>The underlying protobuf message, for edits this class does not offer. Changes are seen by all members.</summary>
    public ModelProto Proto { get; }

    /// <summary>
    /// The directory external data locations are relative to: the model file's directory after <see cref="Load(string)"/>
    /// or <see cref="Save"/>; null for a model made from bytes without one.
    /// </summary>
    public string? BaseDirectory { get; private set; }

    internal GraphProto Graph => Proto.Graph;

    /// <summary>Reads an ONNX file. External data is not read, only referenced (relative to the file's directory).</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxModelException">The file is not a usable ONNX model; the message says why.</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException($"ONNX model '{full}' does not exist: check the path.", full);
        var length = new FileInfo(full).Length;
        if (length > ProtobufSizeLimit)
            throw new OnnxModelException(
                $"'{full}' is {length / (1 << 20)} MiB, more than the 2 GiB a protobuf message can hold: it is not a valid ONNX " +
                "file. Export the model with its weights as external data (e.g. torch.onnx.export(..., external_data=True)).");
        ModelProto proto;
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"'{full}' is not an ONNX model (its bytes are not a ModelProto message: {e.Message}). " +
                                         "Check that the path names the .onnx file and that the file is complete.", e);
        }
        return Checked(proto, Path.GetDirectoryName(full), $"'{full}'", plural: false);
    }

    /// <summary>
    /// Parses a model from memory. <paramref name="baseDirectory"/> is where its external data files are, if it has any.
    /// </summary>
    public static OnnxModel Load(ReadOnlySpan<byte> bytes, string? baseDirectory = null)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"The {bytes.Length} bytes are not an ONNX model (not a ModelProto message: {e.Message}).", e);
        }
        return Checked(proto, baseDirectory, "the model bytes", plural: true);
    }

    /// <summary>Wraps an existing message (not copied: later changes to it are seen here).</summary>
    public static OnnxModel FromProto(ModelProto proto, string? baseDirectory = null) =>
        new(proto ?? throw new ArgumentNullException(nameof(proto)), baseDirectory);

    /// <param name="plural">Whether <paramref name="source"/> is plural ("the model bytes hold", "'a.onnx' holds").</param>
    private static OnnxModel Checked(ModelProto proto, string? baseDirectory, string source, bool plural)
    {
        // Text or other protobufs often parse "successfully" into an empty message; refuse what is clearly not a model.
        if (proto.Graph is null || (proto.Graph.Node.Count == 0 && proto.Graph.Output.Count == 0))
            throw new OnnxModelException($"{Capitalized(source)} {(plural ? "hold" : "holds")} no ONNX graph (no nodes, no outputs): it is not an ONNX model or it is empty.");
        if (proto.OpsetImport.Count == 0 && proto.IrVersion >= 3)
            throw new OnnxModelException($"{Capitalized(source)} {(plural ? "import" : "imports")} no operator set: the model is incomplete; re-export it.");
        var model = new OnnxModel(proto, baseDirectory);
        _ = model.ExternalData; // parses every external data entry now, so a damaged one is refused at load time
        return model;
    }

    private static string Capitalized(string s) => s.Length > 0 && char.IsLower(s[0]) ? char.ToUpperInvariant(s[0]) + s[1..] : s;

    /// <summary>A deep copy that can be edited independently (tensor bytes are immutable and shared, not copied).</summary>
    public OnnxModel Clone() => new(Proto.Clone(), BaseDirectory);

    /// <summary>The serialised model. Refused when it would exceed the 2 GiB protobuf limit.</summary>
    public byte[] ToBytes()
    {
        EnsureFitsInProtobuf(PayloadBytes(includeExternal: false), "serialise it");
        return Proto.ToByteArray();
    }

    public long IrVersion
    {
        get => Proto.IrVersion;
        set => Proto.IrVersion = value;
    }

    public string ProducerName
    {
        get => Proto.ProducerName;
        set => Proto.ProducerName = value;
    }

    public string ProducerVersion
    {
        get => Proto.ProducerVersion;
        set => Proto.ProducerVersion = value;
    }

    public string GraphName => Graph.Name;

    public IReadOnlyList<OpsetImport> OpsetImports =>
        Proto.OpsetImport.Select(o => new OpsetImport(OpsetImport.NormalizeDomain(o.Domain), o.Version)).ToArray();

    /// <summary>The imported version of an operator set domain ("" or "ai.onnx" for the default), or null if not imported.</summary>
    public long? GetOpsetVersion(string domain)
    {
        var wanted = OpsetImport.NormalizeDomain(domain);
        foreach (var o in Proto.OpsetImport)
            if (OpsetImport.NormalizeDomain(o.Domain) == wanted) return o.Version;
        return null;
    }

    /// <summary>
    /// The inputs a caller feeds. Graph inputs that are also initializers (how IR versions before 4 listed weights)
    /// are not included: they have defaults and are weights, not data.
    /// </summary>
    public IReadOnlyList<TensorInfo> Inputs
    {
        get
        {
            var initializers = new HashSet<string>(Graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
            return Graph.Input.Where(v => !initializers.Contains(v.Name)).Select(Describe).ToArray();
        }
    }

    public IReadOnlyList<TensorInfo> Outputs => Graph.Output.Select(Describe).ToArray();

    public IReadOnlyList<NodeInfo> Nodes => Graph.Node.Select((n, i) => Describe(n, i)).ToArray();

    public int NodeCount => Graph.Node.Count;

    public IReadOnlyList<InitializerInfo> Initializers
    {
        get
        {
            var result = new InitializerInfo[Graph.Initializer.Count];
            for (var i = 0; i < result.Length; i++)
            {
                var t = Graph.Initializer[i];
                result[i] = new InitializerInfo(t.Name, (OnnxDataType)t.DataType, t.Dims.ToArray(), TensorData.ElementCount(t),
                    TensorData.ByteSize(t), TensorData.IsExternal(t) ? ExternalDataEntries.Parse(t, BaseDirectory) : null);
            }
            return result;
        }
    }

    /// <summary>
    /// Every tensor whose bytes live in an external file: initializers, Constant node values and tensors inside
    /// subgraphs and functions.
    /// </summary>
    public IReadOnlyList<ExternalDataReference> ExternalData =>
        AllTensors().Where(TensorData.IsExternal).Select(t => ExternalDataEntries.Parse(t, BaseDirectory)).ToArray();

    public bool HasExternalData => AllTensors().Any(TensorData.IsExternal);

    /// <summary>
    /// Type and shape of any tensor of the main graph, as declared in the file or inferred through the operators that
    /// produce it; null if the graph has no tensor of that name or its type cannot be determined.
    /// </summary>
    public TensorInfo? FindTensor(string name) => DescribeTensors().GetValueOrDefault(name);

    /// <summary>
    /// Type and shape of every tensor of the main graph whose element type is declared or can be inferred (one pass over
    /// the graph; prefer it to calling <see cref="FindTensor"/> for many names).
    /// </summary>
    public IReadOnlyDictionary<string, TensorInfo> DescribeTensors()
    {
        var known = TensorTypeInference.Run(new GraphIndex(Graph));
        foreach (var (name, info) in known.Where(k => k.Value.ElementType == OnnxDataType.Undefined).ToList()) known.Remove(name);
        return known;
    }

    /// <summary>The node that produces a tensor, or null for graph inputs, initializers and unknown names.</summary>
    public NodeInfo? FindProducer(string tensorName)
    {
        var index = new GraphIndex(Graph).ProducerIndex(tensorName);
        return index < 0 ? null : Describe(Graph.Node[index], index);
    }

    /// <summary>The nodes that read a tensor, in graph order.</summary>
    public IReadOnlyList<NodeInfo> FindConsumers(string tensorName) =>
        new GraphIndex(Graph).ConsumerIndices(tensorName).Select(i => Describe(Graph.Node[i], i)).ToArray();

    /// <summary>The raw little-endian bytes of an initializer, read from wherever it is stored (inline or external).</summary>
    public byte[] ReadInitializerBytes(string name)
    {
        var tensor = Graph.Initializer.FirstOrDefault(t => t.Name == name)
                     ?? throw new OnnxModelException($"The graph has no initializer named '{name}'.");
        return TensorData.ReadBytes(tensor, TensorData.IsExternal(tensor) ? ExternalDataEntries.Parse(tensor, BaseDirectory) : null);
    }

    /// <summary>Model-level metadata (<c>metadata_props</c>), a snapshot.</summary>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in Proto.MetadataProps) result[entry.Key] = entry.Value;
            return result;
        }
    }

    public string? GetMetadata(string key) => Proto.MetadataProps.LastOrDefault(e => e.Key == key)?.Value;

    /// <summary>Sets a metadata entry, replacing an existing one with the same key (keys stay distinct, as ONNX requires).</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var first = true;
        for (var i = 0; i < Proto.MetadataProps.Count; i++)
        {
            if (Proto.MetadataProps[i].Key != key) continue;
            if (first)
            {
                Proto.MetadataProps[i].Value = value;
                first = false;
            }
            else Proto.MetadataProps.RemoveAt(i--);
        }
        if (first) Proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    public bool RemoveMetadata(string key)
    {
        var before = Proto.MetadataProps.Count;
        GraphIndex.RemoveWhere(Proto.MetadataProps, e => e.Key == key);
        return Proto.MetadataProps.Count != before;
    }

    internal static TensorInfo Describe(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        return new TensorInfo(value.Name, (OnnxDataType)(tensor?.ElemType ?? 0), TensorShape.FromProto(tensor?.Shape));
    }

    internal static NodeInfo Describe(NodeProto node, int index) =>
        new(index, node.Name, node.OpType, OpsetImport.NormalizeDomain(node.Domain), node.Input.ToArray(), node.Output.ToArray());

    /// <summary>Every TensorProto of the model: initializers, attribute tensors, subgraphs and functions, recursively.</summary>
    internal IEnumerable<TensorProto> AllTensors()
    {
        foreach (var t in TensorsOf(Graph)) yield return t;
        foreach (var function in Proto.Functions)
            foreach (var node in function.Node)
                foreach (var t in TensorsOf(node)) yield return t;
    }

    private static IEnumerable<TensorProto> TensorsOf(GraphProto graph)
    {
        foreach (var t in graph.Initializer) yield return t;
        foreach (var s in graph.SparseInitializer)
        {
            if (s.Values is { } v) yield return v;
            if (s.Indices is { } i) yield return i;
        }
        foreach (var node in graph.Node)
            foreach (var t in TensorsOf(node)) yield return t;
    }

    private static IEnumerable<TensorProto> TensorsOf(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.T is { } t) yield return t;
            foreach (var each in a.Tensors) yield return each;
            if (a.SparseTensor is { } s)
            {
                if (s.Values is { } v) yield return v;
                if (s.Indices is { } i) yield return i;
            }
            if (a.G is { } g)
                foreach (var inner in TensorsOf(g)) yield return inner;
            foreach (var sub in a.Graphs)
                foreach (var inner in TensorsOf(sub)) yield return inner;
        }
    }

    /// <summary>Bytes of tensor payloads held inline (plus external ones if asked), summed as 64-bit to detect &gt; 2 GiB.</summary>
    internal long PayloadBytes(bool includeExternal)
    {
        long total = 0;
        foreach (var t in AllTensors())
        {
            if (TensorData.IsExternal(t))
            {
                if (includeExternal) total += TensorData.ByteSize(t);
            }
            else total += t.RawData.Length + 4L * t.FloatData.Count + 4L * t.Int32Data.Count + 8L * t.Int64Data.Count
                          + 8L * t.DoubleData.Count + 8L * t.Uint64Data.Count + t.StringData.Sum(s => (long)s.Length);
        }
        return total;
    }

    internal static void EnsureFitsInProtobuf(long payloadBytes, string action)
    {
        // The rest of the message (graph structure) is small next to the weights; keep a margin for it.
        if (payloadBytes > ProtobufSizeLimit - (64 << 20))
            throw new OnnxModelException(
                $"The model's tensors take {payloadBytes / (1 << 20)} MiB, too much for one 2 GiB protobuf message, so it cannot {action} " +
                "inline: keep the weights as external data (save with ExternalDataMode.Keep or ExternalDataMode.Consolidate).");
    }
}
