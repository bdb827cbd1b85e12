using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OnnxTransfer.Formats;

/// <summary>One field on which two fingerprints disagree (values as JSON text; null when the field is absent on that side).</summary>
public sealed record FingerprintDifference(string Field, string? Expected, string? Actual)
{
    public override string ToString() => $"{Field}: {Expected ?? "(absent)"} ≠ {Actual ?? "(absent)"}";
}

/// <summary>
/// What determines an embedding's values: model sha256, feature tensor, pooling, L2 normalisation, preprocessing (with
/// the version of its implementation), dimension and dtype — as canonical JSON, and its sha256, which identifies a
/// cache. The tool version is deliberately left out: a new OnnxTransfer that computes the same values keeps using the
/// same cache.
/// </summary>
public sealed class BackboneFingerprint : IEquatable<BackboneFingerprint>
{
    /// <summary>The element type of every embedding the pipeline writes.</summary>
    public const string Float32 = "float32";

    private BackboneFingerprint(string json, string? sha256)
    {
        Json = json;
        Sha256 = sha256 ?? HashOf(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return;
            Dimension = root.TryGetProperty("dim", out var dim) && dim.TryGetInt32(out var d) ? d : 0;
            DataType = root.TryGetProperty("dtype", out var dtype) && dtype.ValueKind == JsonValueKind.String ? dtype.GetString()! : "";
            ModelSha256 = root.TryGetProperty("model_sha256", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString()! : "";
        }
        catch (JsonException)
        {
            // A recorded text that is not JSON (another tool's parts): it is still compared by its sha256.
        }
    }

    /// <summary>The canonical JSON text (keys sorted, no spaces); as the file wrote it for a <see cref="Recorded"/> one.</summary>
    public string Json { get; }

    /// <summary>sha256 of <see cref="Json"/> (lower-case hex); the stored value for a <see cref="Recorded"/> one.</summary>
    public string Sha256 { get; }

    /// <summary>Floats per embedding.</summary>
    public int Dimension { get; }

    public string DataType { get; } = "";

    public string ModelSha256 { get; } = "";

    /// <summary>The first 12 hex digits of <see cref="Sha256"/>, for messages.</summary>
    public string Short => Sha256.Length > 12 ? Sha256[..12] : Sha256;

    private static string HashOf(string json) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));

    /// <summary>The fingerprint of a canonical object built by the backbone code (<c>OnnxTransfer.Features</c>).</summary>
    public static BackboneFingerprint FromCanonical(SortedDictionary<string, object?> root) => new(CanonicalJson.Write(root), sha256: null);

    /// <summary>
    /// A fingerprint as a file records it: the JSON text kept as written and the sha256 stored beside it (computed from
    /// the text when the file stores none). A stored sha256 is kept even when it is not the text's: the reader decides
    /// whether that is an error (a head's edited metadata) or a difference to report.
    /// </summary>
    public static BackboneFingerprint Recorded(string json, string? sha256)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new BackboneFingerprint(json, string.IsNullOrEmpty(sha256) ? null : sha256);
    }

    /// <summary>Reads a fingerprint from JSON (any key order or spacing).</summary>
    /// <exception cref="FormatException">The text is not a JSON object.</exception>
    public static BackboneFingerprint Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using (var document = JsonDocument.Parse(json))
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("A fingerprint is a JSON object.");
            return new BackboneFingerprint(CanonicalJson.Normalize(json), sha256: null);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not a fingerprint (invalid JSON: {e.Message}).", e);
        }
    }

    /// <summary>The fields whose values differ (this = expected, <paramref name="other"/> = actual), sorted by field.</summary>
    public IReadOnlyList<FingerprintDifference> Differences(BackboneFingerprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = CanonicalJson.Flatten(Json);
        var theirs = CanonicalJson.Flatten(other.Json);
        var differences = new List<FingerprintDifference>();
        foreach (var field in mine.Keys.Union(theirs.Keys).Order(StringComparer.Ordinal))
        {
            var a = mine.GetValueOrDefault(field);
            var b = theirs.GetValueOrDefault(field);
            if (!string.Equals(a, b, StringComparison.Ordinal)) differences.Add(new FingerprintDifference(field, a, b));
        }
        return differences;
    }

    public bool Equals(BackboneFingerprint? other) =>
        other is not null && string.Equals(Json, other.Json, StringComparison.Ordinal) && string.Equals(Sha256, other.Sha256, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as BackboneFingerprint);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Sha256);

    public override string ToString() => Json;
}
