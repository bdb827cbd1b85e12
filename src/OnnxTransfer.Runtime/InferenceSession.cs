using System.Buffers;
using System.Runtime.InteropServices;
using OnnxTransfer.Runtime.Native;

namespace OnnxTransfer.Runtime;

/// <summary>
/// A loaded ONNX model ready to run (<c>OrtSession</c>): its declared inputs and outputs, model metadata, the
/// execution providers actually in use, and <c>Run</c>.
/// </summary>
/// <remarks>
/// <c>Run</c> may be called from many threads at once on one session: ORT's Run is thread-safe, and the managed side
/// keeps no per-call state outside the call's own stack. Disposing while runs are in flight is safe; the native session
/// is released when the last run returns.
/// </remarks>
public sealed unsafe partial class InferenceSession : IDisposable
{
    private readonly OrtSessionHandle _handle;
    private readonly OrtApi _api;
    private readonly ValueMetadata[] _inputs;
    private readonly ValueMetadata[] _outputs;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;
    private readonly nint[] _inputNames;   // native UTF-8, owned by _handle
    private readonly nint[] _outputNames;  // native UTF-8, owned by _handle

    /// <summary>Loads a model file. A missing file, a broken model or an unavailable provider is refused here.</summary>
    public InferenceSession(string modelPath, SessionOptions? options = null)
        : this(ModelSource.FromPath(modelPath), options)
    {
    }

    /// <summary>Loads a model from its serialized bytes (ORT copies what it needs; the bytes can go after this).</summary>
    public InferenceSession(ReadOnlyMemory<byte> model, SessionOptions? options = null)
        : this(ModelSource.FromBytes(model), options)
    {
    }

    private InferenceSession(ModelSource source, SessionOptions? options)
    {
        Options = options ?? new SessionOptions();
        ModelPath = source.Path;
        var environment = OrtEnvironment.Shared;
        Options.Validate(environment);
        _api = environment.Library.Api;

        var warnings = new WarningLog(Options.WarningSink);
        _handle = SessionFactory.Create(source, Options, environment, warnings, out var registered);
        try
        {
            var session = _handle.Pointer;
            _inputs = ReadValueMetadata(session, isInput: true, out _inputNames);
            _outputs = ReadValueMetadata(session, isInput: false, out _outputNames);
            _inputIndex = IndexByName(_inputs);
            _outputIndex = IndexByName(_outputs);
            Metadata = ReadModelMetadata(session);
            ActiveProviders = ReadActiveProviders(session, registered);
            foreach (var provider in Options.ExecutionProviders)
            {
                if (provider is not CpuExecutionProvider && registered.Contains(provider.Name) && !ActiveProviders.Contains(provider.Name))
                    warnings.Add($"{provider.Name} started, but ONNX Runtime assigned no node of this model to it: everything runs on CPU.");
            }
            Warnings = warnings.Warnings.ToArray();
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    /// <summary>The model file, or null when the session was made from bytes.</summary>
    public string? ModelPath { get; }

    public SessionOptions Options { get; }

    /// <summary>Inputs in the model's order, with element type and shape (symbolic dimensions as -1 plus their name).</summary>
    public IReadOnlyList<ValueMetadata> Inputs => _inputs;

    /// <summary>Outputs in the model's order.</summary>
    public IReadOnlyList<ValueMetadata> Outputs => _outputs;

    public ModelMetadata Metadata { get; }

    /// <summary>
    /// The execution providers that run at least one node of this model, in priority order, e.g.
    /// ["CPUExecutionProvider"] or ["CUDAExecutionProvider", "CPUExecutionProvider"].
    /// </summary>
    public IReadOnlyList<string> ActiveProviders { get; }

    /// <summary>True when <see cref="ActiveProviders"/> comes from ORT's record of node assignments (the normal case),
    /// false when that record was switched off and the registered providers are reported instead.</summary>
    internal bool ProvidersFromNodeAssignment { get; private set; }

    /// <summary>Warnings raised while the session was built (e.g. a provider fallback); also sent to
    /// <see cref="SessionOptions.WarningSink"/>.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The declared input of that name.</summary>
    public ValueMetadata Input(string name) =>
        _inputIndex.TryGetValue(name, out var i) ? _inputs[i] : throw UnknownName("input", name, _inputs);

    /// <summary>The declared output of that name.</summary>
    public ValueMetadata Output(string name) =>
        _outputIndex.TryGetValue(name, out var i) ? _outputs[i] : throw UnknownName("output", name, _outputs);

    public void Dispose() => _handle.Dispose();

    private ValueMetadata[] ReadValueMetadata(nint session, bool isInput, out nint[] nativeNames)
    {
        nuint count;
        OrtStatus.Check(_api, isInput ? _api.SessionGetInputCount(session, &count) : _api.SessionGetOutputCount(session, &count));
        var result = new ValueMetadata[(int)count];
        nativeNames = new nint[(int)count];
        var allocator = OrtCpu.DefaultAllocator;
        for (nuint i = 0; i < count; i++)
        {
            byte* rawName;
            OrtStatus.Check(_api, isInput
                ? _api.SessionGetInputName(session, i, allocator, &rawName)
                : _api.SessionGetOutputName(session, i, allocator, &rawName));
            var name = NativeText.TakeAllocated(_api, allocator, rawName) ?? "";
            nativeNames[i] = _handle.AddName(name);

            nint typeInfo;
            OrtStatus.Check(_api, isInput
                ? _api.SessionGetInputTypeInfo(session, i, &typeInfo)
                : _api.SessionGetOutputTypeInfo(session, i, &typeInfo));
            using var typeInfoHandle = new OrtTypeInfoHandle(typeInfo);
            result[i] = DescribeType(name, typeInfo);
        }
        return result;
    }

    private ValueMetadata DescribeType(string name, nint typeInfo)
    {
        int onnxType;
        OrtStatus.Check(_api, _api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType));
        if ((OnnxValueType)onnxType != OnnxValueType.Tensor)
            return new ValueMetadata(name, (OnnxValueType)onnxType, TensorElementType.Undefined, null);

        nint tensorInfo; // owned by typeInfo
        OrtStatus.Check(_api, _api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
        int elementType;
        OrtStatus.Check(_api, _api.GetTensorElementType(tensorInfo, &elementType));
        nuint rank;
        OrtStatus.Check(_api, _api.GetDimensionsCount(tensorInfo, &rank));
        var dims = new long[(int)rank];
        var symbolic = new nint[(int)rank];
        fixed (long* d = dims)
            OrtStatus.Check(_api, _api.GetDimensions(tensorInfo, d, rank));
        fixed (nint* s = symbolic)
            OrtStatus.Check(_api, _api.GetSymbolicDimensions(tensorInfo, (byte**)s, rank));
        var names = new string?[(int)rank];
        for (int i = 0; i < names.Length; i++) names[i] = Marshal.PtrToStringUTF8(symbolic[i]);
        return new ValueMetadata(name, OnnxValueType.Tensor, (TensorElementType)elementType, new TensorShape(dims, names));
    }

    private ModelMetadata ReadModelMetadata(nint session)
    {
        nint created;
        OrtStatus.Check(_api, _api.SessionGetModelMetadata(session, &created));
        var metadata = created;
        using var metadataHandle = new OrtModelMetadataHandle(metadata);
        var allocator = OrtCpu.DefaultAllocator;

        string Read(delegate* unmanaged<nint, nint, byte**, nint> getter)
        {
            byte* value;
            OrtStatus.Check(_api, getter(metadata, allocator, &value));
            return NativeText.TakeAllocated(_api, allocator, value) ?? "";
        }

        long version;
        OrtStatus.Check(_api, _api.ModelMetadataGetVersion(metadata, &version));

        byte** keys;
        long keyCount;
        OrtStatus.Check(_api, _api.ModelMetadataGetCustomMetadataMapKeys(metadata, allocator, &keys, &keyCount));
        var custom = new Dictionary<string, string>((int)keyCount, StringComparer.Ordinal);
        if (keys != null)
        {
            try
            {
                for (long i = 0; i < keyCount; i++)
                {
                    var key = Marshal.PtrToStringUTF8((nint)keys[i]) ?? "";
                    byte* value;
                    OrtStatus.Check(_api, _api.ModelMetadataLookupCustomMetadataMap(metadata, allocator, keys[i], &value));
                    custom[key] = NativeText.TakeAllocated(_api, allocator, value) ?? "";
                }
            }
            finally
            {
                // Each key and the array holding them were allocated with the allocator we passed.
                for (long i = 0; i < keyCount; i++) OrtStatus.Check(_api, _api.AllocatorFree(allocator, keys[i]));
                OrtStatus.Check(_api, _api.AllocatorFree(allocator, keys));
            }
        }

        return new ModelMetadata(
            Read(_api.ModelMetadataGetProducerName),
            Read(_api.ModelMetadataGetGraphName),
            Read(_api.ModelMetadataGetGraphDescription),
            Read(_api.ModelMetadataGetDomain),
            Read(_api.ModelMetadataGetDescription),
            version == long.MaxValue ? null : version, // ORT reports INT64_MAX when model_version is absent
            custom);
    }

    /// <summary>
    /// The providers ORT assigned nodes to (recorded at session creation), in the priority order they were registered.
    /// If recording was switched off through a config entry, the registered providers are reported instead.
    /// </summary>
    private string[] ReadActiveProviders(nint session, List<string> registered)
    {
        nint* subgraphs;
        nuint count;
        var status = _api.SessionGetEpGraphAssignmentInfo(session, &subgraphs, &count);
        if (status != 0)
        {
            _ = OrtStatus.ToException(_api, status); // released; the registered list is the answer we can give
            return registered.ToArray();
        }
        ProvidersFromNodeAssignment = true;
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (nuint i = 0; i < count; i++)
        {
            byte* name;
            OrtStatus.Check(_api, _api.EpAssignedSubgraphGetEpName(subgraphs[i], &name));
            used.Add(Marshal.PtrToStringUTF8((nint)name) ?? "");
        }
        var ordered = registered.Where(used.Contains).ToList();
        ordered.AddRange(used.Where(name => !registered.Contains(name)).Order(StringComparer.Ordinal));
        return ordered.ToArray();
    }

    private static Dictionary<string, int> IndexByName(ValueMetadata[] values)
    {
        var index = new Dictionary<string, int>(values.Length, StringComparer.Ordinal);
        for (int i = 0; i < values.Length; i++) index[values[i].Name] = i;
        return index;
    }
}
