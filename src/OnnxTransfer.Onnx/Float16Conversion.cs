using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

/// <summary>What <see cref="OnnxModel.ConvertToFloat16"/> changed.</summary>
/// <param name="Initializers">float32 weights stored as float16 now.</param>
/// <param name="Constants">Constant/ConstantOfShape values and Cast/dtype targets turned from float32 to float16.</param>
/// <param name="Saturated">Weight and constant elements beyond float16's range (±65504), stored as ±65504.</param>
/// <param name="KeptInFloat32">Nodes that still compute in float32 (operators without float16, inputs that must stay float32).</param>
/// <param name="CastInputs">Graph inputs still float32, cast to float16 inside.</param>
/// <param name="CastOutputs">Graph outputs still float32, cast from float16 inside.</param>
public sealed record Float16ConversionResult(int Initializers, int Constants, long Saturated, int KeptInFloat32, int CastInputs, int CastOutputs);

/// <summary>
/// Rewrites a float32 graph to compute in float16 with its float32 inputs and outputs kept: every float32 weight,
/// constant and cast target becomes float16, a Cast follows each float32 input and precedes each float32 output, and the
/// few places ONNX requires float32 (Resize/Upsample scales, Range) get casts around them. Callers feed and read float32
/// as before, while a GPU runs the convolutions and matrix products on half-precision tensor cores.
/// </summary>
/// <remarks>
/// A graph that already holds float16 tensors (converted by another tool) keeps its insides: only float16 inputs and
/// outputs get casts, so a deliberate float32 island stays one. Control flow (If/Loop/Scan bodies) and model-local
/// functions are refused rather than half converted.
/// </remarks>
internal static class Float16Conversion
{
    /// <summary>float16's largest finite value: larger magnitudes are stored as it rather than as infinity.</summary>
    private const float HalfMax = 65504f;

    private const string CastOp = "Cast";

    public static Float16ConversionResult Convert(OnnxModel model)
    {
        var graph = model.Graph;
        RefuseUnsupported(model);
        var alreadyHalf = HasHalfPrecision(graph);
        var opset = model.GetOpsetVersion("") ?? 1;
        var names = new UniqueNames(graph);
        int initializers = 0, constants = 0, kept = 0;
        long saturated = 0;

        if (!alreadyHalf)
        {
            var types = TensorTypeInference.Run(new GraphIndex(graph)); // before any edit: what was float32 (Range)
            foreach (var tensor in graph.Initializer)
            {
                if ((OnnxDataType)tensor.DataType != OnnxDataType.Float) continue;
                var bytes = TensorData.ReadBytes(tensor, TensorData.IsExternal(tensor) ? ExternalDataEntries.Parse(tensor, model.BaseDirectory) : null);
                saturated += ToHalf(tensor, bytes);
                initializers++;
            }
            foreach (var value in graph.ValueInfo) MarkHalf(value, OnnxDataType.Float);
            for (var i = 0; i < graph.Node.Count; i++)
            {
                var node = graph.Node[i];
                var (changed, clamped) = ConvertAttributes(node);
                if (changed) constants++;
                saturated += clamped;
                i += KeepInFloat32(graph, i, opset, types, names, ref kept);
            }
        }

        var castInputs = CastInputs(graph, names, alreadyHalf);
        var castOutputs = CastOutputs(graph, names, alreadyHalf);
        return new Float16ConversionResult(initializers, constants, saturated, kept, castInputs, castOutputs);
    }

    /// <summary>True when any tensor of the main graph is float16 or bfloat16 (weights, inputs, outputs, declared values, casts, constants).</summary>
    public static bool HasHalfPrecision(GraphProto graph)
    {
        foreach (var tensor in graph.Initializer)
            if (IsHalf((OnnxDataType)tensor.DataType)) return true;
        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
            if (value.Type?.TensorType is { } t && IsHalf((OnnxDataType)t.ElemType)) return true;
        foreach (var node in graph.Node)
        {
            if (node.OpType == CastOp && IsHalf((OnnxDataType)GraphIndex.IntAttribute(node, "to", 0))) return true;
            foreach (var attribute in node.Attribute)
                if (attribute.T is { } t && IsHalf((OnnxDataType)t.DataType)) return true;
        }
        return false;
    }

    private static bool IsHalf(OnnxDataType type) => type is OnnxDataType.Float16 or OnnxDataType.BFloat16;

    private static void RefuseUnsupported(OnnxModel model)
    {
        if ((model.GetOpsetVersion("") ?? 1) is var opset and < 6)
            throw new OnnxModelException($"The model uses opset {opset}, whose Cast names its target type by string; re-export it with opset 6 or newer to convert it to float16.");
        foreach (var node in model.Graph.Node)
        {
            if (GraphIndex.Subgraphs(node).Any())
                throw new OnnxModelException(
                    $"Node '{node.Name}' ({node.OpType}) has a subgraph; converting control flow to float16 is not supported. " +
                    "Convert the model with a float16 tool that handles it (keeping float32 inputs and outputs), or run in fp32/tf32.");
        }
        if (model.Proto.Functions.Count > 0)
            throw new OnnxModelException(
                "The model defines its own functions; converting them to float16 is not supported. Export it without local " +
                "functions (or inline them), or run in fp32/tf32.");
        foreach (var sparse in model.Graph.SparseInitializer)
            if (sparse.Values is { } v && (OnnxDataType)v.DataType == OnnxDataType.Float)
                throw new OnnxModelException($"Sparse initializer '{v.Name}' is float32; converting sparse weights to float16 is not supported.");
    }

    /// <summary>Replaces a float32 tensor's payload with float16 raw bytes; returns how many elements were clamped.</summary>
    private static long ToHalf(TensorProto tensor, byte[] floatBytes)
    {
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(floatBytes);
        var halves = new Half[floats.Length];
        long clamped = 0;
        for (var i = 0; i < floats.Length; i++)
        {
            var v = floats[i];
            if (v is > HalfMax or < -HalfMax) { clamped++; v = float.IsNaN(v) ? v : Math.Clamp(v, -HalfMax, HalfMax); }
            halves[i] = (Half)v;
        }
        tensor.FloatData.Clear();
        tensor.ExternalData.Clear();
        tensor.ClearDataLocation();
        tensor.DataType = (int)OnnxDataType.Float16;
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()));
        return clamped;
    }

    private static void MarkHalf(ValueInfoProto value, OnnxDataType from)
    {
        if (value.Type?.TensorType is { } t && (OnnxDataType)t.ElemType == from) t.ElemType = (int)OnnxDataType.Float16;
    }

    /// <summary>
    /// Float32 carried by attributes: Constant values, ConstantOfShape's fill, Cast targets and the dtype of generators.
    /// </summary>
    private static (bool Changed, long Clamped) ConvertAttributes(NodeProto node)
    {
        var changed = false;
        long clamped = 0;
        for (var a = 0; a < node.Attribute.Count; a++)
        {
            var attribute = node.Attribute[a];
            switch (node.OpType, attribute.Name)
            {
                case ("Constant" or "ConstantOfShape", "value") when attribute.T is { } t && (OnnxDataType)t.DataType == OnnxDataType.Float:
                    clamped += ToHalf(t, TensorData.ReadBytes(t, null));
                    changed = true;
                    break;
                case ("Constant", "value_float"):
                    node.Attribute[a] = HalfTensorAttribute([attribute.F], [], ref clamped);
                    changed = true;
                    break;
                case ("Constant", "value_floats"):
                    node.Attribute[a] = HalfTensorAttribute([.. attribute.Floats], [attribute.Floats.Count], ref clamped);
                    changed = true;
                    break;
                case (CastOp, "to") or ("EyeLike" or "RandomNormal" or "RandomUniform" or "RandomNormalLike" or "RandomUniformLike", "dtype")
                    when attribute.I == (long)OnnxDataType.Float:
                    attribute.I = (long)OnnxDataType.Float16;
                    changed = true;
                    break;
            }
        }
        // ConstantOfShape without a value fills float32 zeros: say float16 zeros.
        if (node.OpType == "ConstantOfShape" && GraphIndex.Attribute(node, "value") is null)
        {
            node.Attribute.Add(HalfTensorAttribute([0f], [1], ref clamped));
            changed = true;
        }
        return (changed, clamped);
    }

    private static AttributeProto HalfTensorAttribute(float[] values, long[] dims, ref long clamped)
    {
        var tensor = new TensorProto { DataType = (int)OnnxDataType.Float };
        tensor.Dims.AddRange(dims);
        clamped += ToHalf(tensor, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor };
    }

    /// <summary>
    /// Where ONNX has no float16: Resize/Upsample take their scales as float32, and Range has no float16 type. Casts go
    /// in front of those inputs (and, for Range, behind its output); returns how many nodes were inserted before node i.
    /// </summary>
    private static int KeepInFloat32(GraphProto graph, int i, long opset, Dictionary<string, TensorInfo> types, UniqueNames names, ref int kept)
    {
        var node = graph.Node[i];
        int[] slots = node.OpType switch
        {
            "Resize" when node.Domain is "" or "ai.onnx" => [opset >= 11 ? 2 : 1], // Resize-10 had no roi input
            "Upsample" when node.Domain is "" or "ai.onnx" => [1],
            "Range" when node.Domain is "" or "ai.onnx" && WasFloat(types, node.Input[0]) => [0, 1, 2],
            _ => [],
        };
        var inserted = 0;
        foreach (var slot in slots)
        {
            if (slot >= node.Input.Count || node.Input[slot].Length == 0) continue;
            var float32 = names.Next($"{node.Input[slot]}_fp32");
            graph.Node.Insert(i + inserted, Cast(node.Input[slot], float32, OnnxDataType.Float));
            node.Input[slot] = float32;
            inserted++;
        }
        if (node.OpType == "Range" && slots.Length > 0)
        {
            var output = node.Output[0];
            var float32 = names.Next($"{output}_fp32");
            node.Output[0] = float32;
            graph.Node.Insert(i + inserted + 1, Cast(float32, output, OnnxDataType.Float16));
            inserted++; // the cast behind it is skipped by the caller's loop too
        }
        if (slots.Length > 0) kept++;
        return inserted;
    }

    private static bool WasFloat(Dictionary<string, TensorInfo> types, string name) =>
        types.TryGetValue(name, out var info) && info.ElementType == OnnxDataType.Float;

    /// <summary>Each float32 (or, in an already-half graph, float16) input stays float32 outside and is cast inside.</summary>
    private static int CastInputs(GraphProto graph, UniqueNames names, bool alreadyHalf)
    {
        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        var from = alreadyHalf ? OnnxDataType.Float16 : OnnxDataType.Float;
        var casts = 0;
        foreach (var input in graph.Input)
        {
            if (input.Type?.TensorType is not { } t) continue;
            if (initializers.Contains(input.Name))
            {
                // An input with a default (old IR): its initializer is float16 now, so is the input it may be fed as.
                if ((OnnxDataType)t.ElemType == OnnxDataType.Float) t.ElemType = (int)OnnxDataType.Float16;
                continue;
            }
            if ((OnnxDataType)t.ElemType != from) continue;
            var inside = names.Next($"{input.Name}_fp16");
            Rename(graph, input.Name, inside);
            graph.Node.Insert(casts, Cast(input.Name, inside, OnnxDataType.Float16));
            t.ElemType = (int)OnnxDataType.Float;
            casts++;
        }
        return casts;
    }

    /// <summary>Each float32 (or float16) output is computed as float16 under another name and cast to float32 at the end.</summary>
    private static int CastOutputs(GraphProto graph, UniqueNames names, bool alreadyHalf)
    {
        var from = alreadyHalf ? OnnxDataType.Float16 : OnnxDataType.Float;
        var inputs = new HashSet<string>(graph.Input.Select(v => v.Name), StringComparer.Ordinal);
        var casts = 0;
        foreach (var output in graph.Output)
        {
            if (output.Type?.TensorType is not { } t || (OnnxDataType)t.ElemType != from) continue;
            if (inputs.Contains(output.Name)) continue; // an input passed straight through stays what it is
            var inside = names.Next($"{output.Name}_fp16");
            Rename(graph, output.Name, inside);
            graph.Node.Add(Cast(inside, output.Name, OnnxDataType.Float));
            t.ElemType = (int)OnnxDataType.Float;
            casts++;
        }
        return casts;
    }

    /// <summary>Renames a tensor wherever the main graph defines or reads it (not graph inputs/outputs, whose names stay).</summary>
    private static void Rename(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
            for (var i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
        }
        foreach (var tensor in graph.Initializer) if (tensor.Name == from) tensor.Name = to;
        foreach (var value in graph.ValueInfo) if (value.Name == from) value.Name = to;
    }

    private static NodeProto Cast(string input, string output, OnnxDataType to)
    {
        var node = new NodeProto { OpType = CastOp, Name = $"{output}_cast" };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)to });
        return node;
    }

    /// <summary>Fresh tensor names: a hint, or the hint with a number when the graph already uses it.</summary>
    private sealed class UniqueNames
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public UniqueNames(GraphProto graph)
        {
            foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo)) _used.Add(v.Name);
            foreach (var t in graph.Initializer) _used.Add(t.Name);
            foreach (var node in graph.Node)
            {
                foreach (var name in node.Output) _used.Add(name);
                foreach (var name in node.Input) _used.Add(name);
            }
        }

        public string Next(string hint)
        {
            var name = hint;
            for (var n = 2; !_used.Add(name); n++) name = $"{hint}_{n}";
            return name;
        }
    }
}
