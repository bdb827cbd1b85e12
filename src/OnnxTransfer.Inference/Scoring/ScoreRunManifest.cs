using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Features.Inputs;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// What one shard's parts were computed from (<c>_manifest[.shard-K-of-N].json</c>): the model, the shard, the exact
/// list of input ids and the settings that shape the parts. Written before the first part; a rerun into the same
/// folder continues only when everything matches, so parts of different runs are never mixed.
/// </summary>
internal sealed record ScoreRunManifest(string Model, string Labels, ShardSpec Shard, int Inputs, string InputsSha256, int RowsPerPart, int TopK, ScoreFormat Format)
{
    public static ScoreRunManifest For(string modelIdentity, IReadOnlyList<string> labels, IReadOnlyList<InputItem> items, ScoringOptions options, int k)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var item in items)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(item.Id));
            hash.AppendData("\n"u8);
        }
        return new ScoreRunManifest(modelIdentity, JsonSerializerFree.StringArray(labels), options.Shard, items.Count,
            Convert.ToHexStringLower(hash.GetHashAndReset()), options.RowsPerPart, k, options.Format);
    }

    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", ScoreLayout.FormatName);
            w.WriteNumber("version", ScoreLayout.FormatVersion);
            w.WriteString("model", Model);
            w.WriteString("labels", Labels);
            w.WriteString("shard", Shard.ToString());
            w.WriteNumber("inputs", Inputs);
            w.WriteString("inputs_sha256", InputsSha256);
            w.WriteNumber("rows_per_part", RowsPerPart);
            w.WriteNumber("top_k", TopK);
            w.WriteString("output_format", Format == ScoreFormat.Csv ? "csv" : "parquet");
            w.WriteEndObject();
        }
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
}

/// <summary>Tiny JSON helpers without reflection (NativeAOT).</summary>
internal static class JsonSerializerFree
{
    public static string StringArray(IEnumerable<string> values)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var v in values) w.WriteStringValue(v);
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
