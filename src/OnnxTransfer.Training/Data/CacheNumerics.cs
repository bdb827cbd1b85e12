using System.Text;
using System.Text.Json;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// The numerics (execution provider, precision, runtime) a cache's parts record under <see cref="MetadataKeys.Numerics"/>,
/// gathered over the parts a head is trained on, so the head carries them (<see cref="MetadataKeys.CacheNumerics"/>): one
/// entry normally, several when the cache was extended with <c>--allow-mixed-numerics</c>, and an "unknown" entry for
/// parts written before numerics were recorded. Kept as the parts' JSON (re-serialised compactly): the head carries
/// what the parts say, whatever fields they have.
/// </summary>
public sealed record CacheNumerics(IReadOnlyList<string> Entries)
{
    private static readonly string UnknownEntry = EmbeddingNumerics.Unknown.ToJson();

    /// <summary>A JSON array of the entries.</summary>
    public string Json
    {
        get
        {
            var text = new StringBuilder("[");
            for (var i = 0; i < Entries.Count; i++) text.Append(i == 0 ? "" : ",").Append(Entries[i]);
            return text.Append(']').ToString();
        }
    }

    public bool IsMixed => Entries.Count > 1;

    /// <summary>
    /// The distinct numerics of the parts that carry a cache fingerprint (null when none does: embeddings written by
    /// another tool have no provenance to carry); a fingerprinted part without numerics counts as unknown.
    /// </summary>
    internal static CacheNumerics? Gather(IEnumerable<(bool Fingerprinted, string? Numerics)> parts)
    {
        var entries = new List<string>();
        var any = false;
        foreach (var (fingerprinted, numerics) in parts)
        {
            if (!fingerprinted) continue;
            any = true;
            var entry = Canonical(numerics);
            if (!entries.Contains(entry, StringComparer.Ordinal)) entries.Add(entry);
        }
        return any ? new CacheNumerics(entries) : null;
    }

    /// <summary>The part's value re-serialised compactly (so equal numerics compare equal); unreadable text counts as unknown.</summary>
    private static string Canonical(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return UnknownEntry;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return UnknownEntry;
            return Compact(document.RootElement);
        }
        catch (JsonException) { return UnknownEntry; }
    }

    private static string Compact(JsonElement element)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) element.WriteTo(writer);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
