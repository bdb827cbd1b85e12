using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxTransfer.Formats;

/// <summary>
/// How a cache's embeddings were computed, beyond what the fingerprint covers (model, feature tensor, preprocessing):
/// the execution provider that ran the backbone, the arithmetic it used, and the ONNX Runtime version. Two runs with
/// the same fingerprint but different numerics give measurably different embeddings (an int8 QDQ MobileNetV2: CPU int8
/// kernels vs CUDA dequantised float, min cosine 0.972), so a cache holds one numerics unless the user allows a mix.
/// </summary>
/// <param name="Provider">ONNX Runtime's name of the provider that ran the backbone, e.g. <c>CPUExecutionProvider</c>; "unknown" for caches that predate this record.</param>
/// <param name="Precision">
/// <c>fp32</c>, <c>tf32</c>, <c>fp16</c>, or <c>int8-cpu-kernels</c> (a quantised model on the CPU provider, which fuses
/// QDQ groups into integer kernels); "unknown" for old caches.
/// </param>
/// <param name="QuantizedGraph">Whether the model holds quantisation or integer operators.</param>
/// <param name="Runtime">"onnxruntime 1.30.0": informative, not compared (a runtime upgrade is checked with <c>verify</c>).</param>
public sealed record EmbeddingNumerics(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("precision")] string Precision,
    [property: JsonPropertyName("quantized_graph")] bool QuantizedGraph,
    [property: JsonPropertyName("runtime")] string? Runtime)
{
    public const string CpuProvider = "CPUExecutionProvider";
    public const string CudaProvider = "CUDAExecutionProvider";
    public const string Int8CpuKernels = "int8-cpu-kernels";
    public const string UnknownValue = "unknown";

    /// <summary>The numerics of embeddings written before OnnxTransfer recorded them: never equal to a known one.</summary>
    public static EmbeddingNumerics Unknown { get; } = new(UnknownValue, UnknownValue, false, null);

    [JsonIgnore]
    public bool IsUnknown => Provider == UnknownValue;

    /// <summary>Same arithmetic: provider, precision and graph kind agree (the runtime version is informative).</summary>
    public bool SameNumbersAs(EmbeddingNumerics other) =>
        other is not null && !IsUnknown && !other.IsUnknown &&
        Provider == other.Provider && Precision == other.Precision && QuantizedGraph == other.QuantizedGraph;

    /// <summary>"CPUExecutionProvider int8-cpu-kernels (quantised graph, onnxruntime 1.30.0)" or "unknown (…)".</summary>
    public string Describe() => IsUnknown
        ? "unknown (written before OnnxTransfer recorded numerics)"
        : $"{Provider} {Precision} ({(QuantizedGraph ? "quantised graph" : "float graph")}{(Runtime is null ? "" : ", " + Runtime)})";

    public override string ToString() => Describe();

    /// <summary><c>{"provider", "precision", "quantized_graph", "runtime"}</c>, one line.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, FormatsJsonContext.Default.EmbeddingNumerics);

    /// <summary>The same object into a writer (indented when the writer is: the cache manifest).</summary>
    public void Write(Utf8JsonWriter json) => JsonSerializer.Serialize(json, this, FormatsJsonContext.Default.EmbeddingNumerics);

    /// <summary>Reads what <see cref="Write"/> wrote; missing or malformed fields read as unknown.</summary>
    public static EmbeddingNumerics FromJson(JsonElement element)
    {
        EmbeddingNumerics? read;
        try { read = element.ValueKind == JsonValueKind.Object ? element.Deserialize(FormatsJsonContext.Default.EmbeddingNumerics) : null; }
        catch (JsonException) { return Unknown; }
        return read is null || string.IsNullOrEmpty(read.Provider) || string.IsNullOrEmpty(read.Precision) || read.IsUnknown ? Unknown : read;
    }

    /// <summary>Parses a part's <see cref="MetadataKeys.Numerics"/> value; null or invalid text reads as unknown.</summary>
    public static EmbeddingNumerics Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return Unknown;
        try
        {
            using var document = JsonDocument.Parse(json);
            return FromJson(document.RootElement);
        }
        catch (JsonException) { return Unknown; }
    }
}
