using System.Globalization;
using System.Text.Json;

namespace OnnxTransfer.Formats;

/// <summary>
/// What can still be read of a damaged <c>_manifest.json</c> (cut short, a field removed, bytes changed): the string and
/// boolean fields up to the first byte that is not JSON. <c>cache repair</c> takes from here only what the parts do not
/// record (the backbone's name and model path, when and by what the cache was created); a value is null when it is not
/// readable, so nothing is made up.
/// </summary>
public sealed record CacheManifestRemains
{
    public string? FingerprintSha256 { get; init; }
    public string? BackboneName { get; init; }
    public string? FeatureTensor { get; init; }
    public string? ModelPath { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>True when the remains say <c>"part_checksums": "sha256"</c>; null when that field is not readable.</summary>
    public bool? PartChecksums { get; init; }

    /// <summary>Nothing readable (no file, or not one field before the damage).</summary>
    public static CacheManifestRemains None { get; } = new();

    /// <summary>Reads what it can of <paramref name="path"/>; a missing or unreadable file gives <see cref="None"/>.</summary>
    public static CacheManifestRemains Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return None; }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal); // "created_at", "backbone.name", …
        var checksumsSeen = false;
        // Not a final block: a file cut short ends the walk (Read returns false) instead of failing it.
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        string? property = null;
        string? parent = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        break;
                    case JsonTokenType.StartObject when reader.CurrentDepth == 1:
                        parent = property;
                        break;
                    case JsonTokenType.EndObject when reader.CurrentDepth == 1:
                        parent = null;
                        break;
                    case JsonTokenType.String when property is not null && (reader.CurrentDepth == 1 || (reader.CurrentDepth == 2 && parent == "backbone")):
                        var key = reader.CurrentDepth == 1 ? property : "backbone." + property;
                        fields[key] = reader.GetString()!;
                        if (key == "part_checksums") checksumsSeen = true;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The damage: everything before it was read.
        }
        catch (InvalidOperationException)
        {
            // A string that is not valid UTF-8: the fields before it were read.
        }
        // A manifest cut inside "part_checksums" says nothing about it; a complete one without it means "no checksums".
        bool? checksums = checksumsSeen ? fields["part_checksums"] == "sha256" : IsWholeObject(bytes) ? false : null;
        return new CacheManifestRemains
        {
            FingerprintSha256 = fields.GetValueOrDefault("fingerprint_sha256"),
            BackboneName = fields.GetValueOrDefault("backbone.name"),
            FeatureTensor = fields.GetValueOrDefault("backbone.feature_tensor"),
            ModelPath = fields.GetValueOrDefault("backbone.model_path"),
            CreatedBy = fields.GetValueOrDefault("created_by"),
            CreatedAt = fields.GetValueOrDefault("created_at") is { } at
                        && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) ? when : null,
            PartChecksums = checksums,
        };
    }

    private static bool IsWholeObject(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException) { return false; }
    }
}
