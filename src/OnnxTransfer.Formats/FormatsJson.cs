using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxTransfer.Formats;

/// <summary>
/// The JSON values of our formats that System.Text.Json's source generator reads and writes (no reflection: NativeAOT):
/// label arrays, numerics, the score run manifest.
/// Default options: compact, the default escaping — the same bytes the hand-written writers produced.
/// </summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(EmbeddingNumerics))]
[JsonSerializable(typeof(ScoreRunManifest.Document))]
[JsonSourceGenerationOptions(WriteIndented = false)]
internal sealed partial class FormatsJsonContext : JsonSerializerContext;

/// <summary>The helpers every format uses for its small JSON values.</summary>
public static class FormatsJson
{
    /// <summary><c>["a","b"]</c>: the labels of heads, fused models and score parts.</summary>
    public static string StringArray(IEnumerable<string> values) =>
        JsonSerializer.Serialize(values as string[] ?? values.ToArray(), FormatsJsonContext.Default.StringArray);

    /// <summary>Reads a JSON array of strings (<see cref="StringArray"/>).</summary>
    /// <exception cref="JsonException">Not a JSON array of strings.</exception>
    public static string[] ReadStringArray(string json) =>
        JsonSerializer.Deserialize(json, FormatsJsonContext.Default.StringArray) is { } values && values.All(v => v is not null)
            ? values
            : throw new JsonException("not an array of strings");
}
