using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Export;

/// <summary>A head read back from its ONNX file, with what its metadata says about where it came from.</summary>
public sealed class ImportedHead
{
    public required Head Head { get; init; }

    /// <summary>True when the standardisation was folded into the first layer at export: <see cref="Head"/> then holds
    /// the folded weights and no standardisation (it computes the same function).</summary>
    public required bool StandardizationFolded { get; init; }

    /// <summary>The cache the head was trained on; null when the file does not say.</summary>
    public BackboneFingerprint? Fingerprint { get; init; }

    /// <summary>The <see cref="MetadataKeys.Metrics"/> JSON as written at training time ("{}" when absent).</summary>
    public required string MetricsJson { get; init; }

    public required int Opset { get; init; }

    /// <summary>Every metadata entry of the file.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
}

/// <summary>
/// Rebuilds a head exported by <see cref="HeadOnnxExporter"/> from the file <see cref="HeadOnnxFile"/> read and checked
/// (warm starts, <c>evaluate</c>, the composer): the structure from <see cref="MetadataKeys.Head"/>, the weights from the named
/// initializers, each checked against the graph (the Gemm nodes that use them, their shapes). The exact inverse of the
/// export: the same floats; a folded standardisation comes back folded (see <see cref="ImportedHead.StandardizationFolded"/>).
/// </summary>
public static class HeadOnnxImporter
{
    /// <exception cref="FileNotFoundException">No file.</exception>
    /// <exception cref="FormatException">Not an OnnxTransfer head, a newer format, or metadata that disagrees with the graph.</exception>
    public static ImportedHead Load(string path) => Import(HeadOnnxFile.Load(path));

    /// <exception cref="FormatException">Not an OnnxTransfer head, a newer format, or metadata that disagrees with the graph.</exception>
    public static ImportedHead Read(OnnxModel model) => Import(HeadOnnxFile.Read(model));

    private static ImportedHead Import(HeadOnnxFile file)
    {
        var model = file.Model;
        var structure = file.Structure
                        ?? throw new FormatException($"Head '{file.Source}': the metadata '{MetadataKeys.Head}' is missing, so its layers cannot be rebuilt. Heads are written by `onnxtransfer train --out head.onnx`.");
        using var document = Parse(structure, file.Source);
        var root = document.RootElement;
        try
        {
            var kind = root.GetProperty("kind").GetString() ?? throw new FormatException("the head kind is null");
            var pre = root.GetProperty("preprocessing");
            bool l2 = pre.GetProperty("l2_normalize").GetBoolean();
            string standardize = pre.GetProperty("standardize").GetString() ?? "";
            int opset = root.GetProperty("export").GetProperty("opset").GetInt32();

            var gemms = GemmsByWeight(model);
            var layers = new List<DenseLayer>();
            foreach (var element in root.GetProperty("layers").EnumerateArray())
            {
                int inputs = element.GetProperty("inputs").GetInt32(), outputs = element.GetProperty("outputs").GetInt32();
                string weightName = element.GetProperty("weight").GetString()!, biasName = element.GetProperty("bias").GetString()!;
                if (!gemms.TryGetValue(weightName, out var gemm) || gemm.Input.Count < 3 || gemm.Input[2] != biasName)
                    throw new FormatException($"no Gemm node uses '{weightName}' and '{biasName}' as its weight and bias, as the metadata says");
                if (gemm.Attribute.FirstOrDefault(a => a.Name == "transB") is not { I: 1 })
                    throw new FormatException($"Gemm '{gemm.Name}' does not have transB=1 (weights [outputs, inputs])");
                var activation = element.GetProperty("activation").GetString() switch
                {
                    "identity" => Activation.Identity,
                    "relu" => Activation.Relu,
                    "gelu" => Activation.Gelu,
                    var other => throw new FormatException($"unknown activation '{other}'"),
                };
                layers.Add(new DenseLayer(inputs, outputs, Floats(model, weightName, (long)inputs * outputs), Floats(model, biasName, outputs), activation));
            }
            if (layers.Count == 0) throw new FormatException("the head has no layers");

            float[]? mean = null, scale = null;
            if (standardize == HeadMetadataJson.StandardizeNodes)
            {
                mean = Floats(model, "standardize.mean", layers[0].InputCount);
                scale = Floats(model, "standardize.scale", layers[0].InputCount);
            }
            else if (standardize is not (HeadMetadataJson.StandardizeNone or HeadMetadataJson.StandardizeFolded))
                throw new FormatException($"unknown standardisation '{standardize}'");
            HeadTrainingInfo? training = root.TryGetProperty("training", out var t) && t.ValueKind == JsonValueKind.Object ? HeadFile.ReadTraining(t) : null;
            var vote = root.TryGetProperty("vote", out var v)
                ? NeighbourVoteExport.Read(v, layers[^1].OutputCount, file.Labels.Count, (name, count) => Floats(model, name, count))
                : null;
            var head = new Head(kind, file.Labels.ToArray(), new FeaturePreprocessing(l2, mean, scale), layers, training, vote);

            return new ImportedHead
            {
                Head = head,
                StandardizationFolded = standardize == HeadMetadataJson.StandardizeFolded,
                Fingerprint = file.CacheFingerprintSha256 is { } sha ? BackboneFingerprint.Recorded(file.CacheFingerprint?.Json ?? "", sha) : null,
                MetricsJson = file.MetricsJson,
                Opset = opset,
                Metadata = model.Metadata,
            };
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Missing or mistyped JSON fields, layers that do not chain, labels that disagree with the last layer.
            throw new FormatException($"Head '{file.Source}': its '{MetadataKeys.Head}' metadata does not describe a valid head: {e.Message}", e);
        }
    }

    private static Dictionary<string, Onnx.Protobuf.NodeProto> GemmsByWeight(OnnxModel model)
    {
        var result = new Dictionary<string, Onnx.Protobuf.NodeProto>(StringComparer.Ordinal);
        foreach (var node in model.Proto.Graph.Node)
            if (node.OpType == "Gemm" && node.Input.Count >= 2) result[node.Input[1]] = node;
        return result;
    }

    private static float[] Floats(OnnxModel model, string name, long expectedCount)
    {
        var info = model.Initializers.FirstOrDefault(i => i.Name == name)
                   ?? throw new FormatException($"the graph has no initializer '{name}'");
        if (info.ElementType != OnnxDataType.Float || info.ElementCount != expectedCount)
            throw new FormatException($"initializer '{name}' is {info.ElementType} with {info.ElementCount} values; {expectedCount} floats expected");
        var bytes = model.ReadInitializerBytes(name);
        var values = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(values[i])));
        return values;
    }

    private static JsonDocument Parse(string json, string source)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"Head '{source}': the metadata '{MetadataKeys.Head}' is not valid JSON ({e.Message})", e);
        }
    }
}
