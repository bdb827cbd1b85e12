using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxTransfer.Formats;

/// <summary>
/// What one shard's parts were computed from (<c>_manifest[.shard-K-of-N].json</c>): the model, the shard, the exact
/// list of input ids and the settings that shape the parts. Written before the first part; a rerun into the same
/// folder continues only when everything matches, so parts of different runs are never mixed.
/// </summary>
public sealed record ScoreRunManifest(string Model, string Labels, ShardSpec Shard, int Inputs, string InputsSha256, int RowsPerPart, int TopK, ScoreFormat Format)
{
    /// <summary>The manifest of a run over <paramref name="inputIds"/> (in order): their sha256 identifies the input list.</summary>
    public static ScoreRunManifest For(string modelIdentity, IReadOnlyList<string> labels, IReadOnlyCollection<string> inputIds, ShardSpec shard,
        int rowsPerPart, int topK, ScoreFormat format)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in inputIds)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(id));
            hash.AppendData("\n"u8);
        }
        return new ScoreRunManifest(modelIdentity, FormatsJson.StringArray(labels), shard, inputIds.Count,
            Convert.ToHexStringLower(hash.GetHashAndReset()), rowsPerPart, topK, format);
    }

    /// <summary>The file's text: indented JSON and a final newline.</summary>
    public string ToJson()
    {
        var document = new Document(Model, Labels, Shard.ToString(), Inputs, InputsSha256, RowsPerPart, TopK, Format == ScoreFormat.Csv ? "csv" : "parquet");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            JsonSerializer.Serialize(writer, document, FormatsJsonContext.Default.Document);
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>Top-level fields whose values differ between two manifest texts (name, old, new).</summary>
    public static List<(string Field, string Old, string New)> Differences(string oldJson, string newJson)
    {
        var differences = new List<(string, string, string)>();
        try
        {
            using var a = JsonDocument.Parse(oldJson);
            using var b = JsonDocument.Parse(newJson);
            var names = a.RootElement.EnumerateObject().Select(p => p.Name).Union(b.RootElement.EnumerateObject().Select(p => p.Name), StringComparer.Ordinal);
            foreach (var name in names)
            {
                var x = a.RootElement.TryGetProperty(name, out var pa) ? pa.GetRawText() : "(absent)";
                var y = b.RootElement.TryGetProperty(name, out var pb) ? pb.GetRawText() : "(absent)";
                if (x != y) differences.Add((name, x, y));
            }
        }
        catch (JsonException)
        {
            differences.Add(("(file)", "unreadable JSON", "this run"));
        }
        return differences;
    }

    /// <summary>The file's fields, in the order they are written.</summary>
    internal sealed record Document(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("labels")] string Labels,
        [property: JsonPropertyName("shard")] string Shard,
        [property: JsonPropertyName("inputs")] int Inputs,
        [property: JsonPropertyName("inputs_sha256")] string InputsSha256,
        [property: JsonPropertyName("rows_per_part")] int RowsPerPart,
        [property: JsonPropertyName("top_k")] int TopK,
        [property: JsonPropertyName("output_format")] string OutputFormat)
    {
        [JsonPropertyName("format"), JsonPropertyOrder(-2)]
        public string FormatName => ScoreLayout.FormatName;

        [JsonPropertyName("version"), JsonPropertyOrder(-1)]
        public int Version => ScoreLayout.FormatVersion;
    }
}
