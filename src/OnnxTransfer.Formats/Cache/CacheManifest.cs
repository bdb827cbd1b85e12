using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OnnxTransfer.Formats;

/// <summary>
/// <c>_manifest.json</c>: what a cache holds. Written once when the cache is created (atomically) and read back only
/// through this type; the trainer does not need it (each part carries its own <see cref="CachePartMetadata"/>).
/// </summary>
public sealed record CacheManifest
{
    public required BackboneFingerprint Fingerprint { get; init; }

    /// <summary>The backbone's name in its spec.</summary>
    public required string BackboneName { get; init; }

    /// <summary>The feature tensor the model was cut at (also in the fingerprint).</summary>
    public required string FeatureTensor { get; init; }

    /// <summary>The model file when the cache was created (informative: the sha256 in the fingerprint is what counts).</summary>
    public string? ModelPath { get; init; }

    /// <summary>"onnxtransfer 0.1.0".</summary>
    public required string CreatedBy { get; init; }

    /// <summary>When the cache was created; null when nobody knows (a manifest rebuilt by <c>cache repair</c> from parts alone).</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>
    /// Every part of this cache has a <c>NAME.sha256</c> beside it (caches created since checksums were introduced), so a
    /// part without one is refused rather than read unchecked. False for older caches: their parts are read as they are.
    /// </summary>
    public bool PartChecksums { get; init; }

    public int Dimension => Fingerprint.Dimension;

    /// <summary>
    /// Every numerics the cache's embeddings were computed with: one normally, more only when a run passed
    /// <c>--allow-mixed-numerics</c>. A manifest written before numerics were recorded reads as one
    /// <see cref="EmbeddingNumerics.Unknown"/>.
    /// </summary>
    public IReadOnlyList<EmbeddingNumerics> Numerics { get; init; } = [EmbeddingNumerics.Unknown];

    /// <summary>
    /// The views every input has a row of (<c>extract --views</c>), by id, the original first; null for a cache without
    /// views (its rows have no <see cref="CacheLayout.ViewColumn"/>). A cache is one or the other for life: a run with
    /// views is refused on a cache without them, and a run adding views grows this list before its first part.
    /// </summary>
    public IReadOnlyList<CacheView>? Views { get; init; }

    /// <summary>Whether the rows carry a <see cref="CacheLayout.ViewColumn"/> (the cache was made with views).</summary>
    public bool HasViews => Views is not null;

    /// <summary>True when the embeddings come from more than one numerics (or from unknown and known ones).</summary>
    public bool HasMixedNumerics => Numerics.Count > 1;

    /// <summary>Whether a run with <paramref name="numerics"/> computes the same numbers as (one of) the cache's.</summary>
    public bool Holds(EmbeddingNumerics numerics) => Numerics.Any(n => n.SameNumbersAs(numerics));

    /// <summary>The tool version string for <see cref="CreatedBy"/>.</summary>
    public static string ToolVersion =>
        "onnxtransfer " + (typeof(CacheManifest).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0");

    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", CacheLayout.FormatName);
            w.WriteNumber("version", CacheLayout.FormatVersion);
            w.WriteNumber("dim", Fingerprint.Dimension);
            w.WriteString("dtype", Fingerprint.DataType);
            w.WriteString("fingerprint_sha256", Fingerprint.Sha256);
            w.WritePropertyName("fingerprint");
            w.WriteRawValue(Fingerprint.Json);
            w.WriteStartObject("backbone");
            // Empty only in a repaired manifest whose parts and remains did not record them: left out, not made up.
            if (BackboneName.Length > 0) w.WriteString("name", BackboneName);
            if (FeatureTensor.Length > 0) w.WriteString("feature_tensor", FeatureTensor);
            if (ModelPath is not null) w.WriteString("model_path", ModelPath);
            w.WriteEndObject();
            w.WriteStartArray("numerics");
            foreach (var numerics in Numerics) numerics.Write(w);
            w.WriteEndArray();
            if (Views is not null)
            {
                w.WriteStartArray("views");
                foreach (var view in Views) view.Write(w);
                w.WriteEndArray();
            }
            w.WriteString("created_by", CreatedBy);
            if (CreatedAt is { } createdAt) w.WriteString("created_at", createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            if (PartChecksums) w.WriteString("part_checksums", "sha256");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>Reads a manifest; a newer format version or a damaged file is refused.</summary>
    /// <exception cref="FormatException">Not a manifest, a newer format version, or a damaged file (the message says which).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CacheManifest Read(string path)
    {
        var text = File.ReadAllText(path);
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != CacheLayout.FormatName)
                throw new FormatException($"'{path}' is not an embedding cache manifest (no \"format\": \"{CacheLayout.FormatName}\"). {RepairHint(path)}");
            var version = root.TryGetProperty("version", out var v) && v.TryGetInt32(out var n) ? n : 0;
            if (version > CacheLayout.FormatVersion)
                throw new FormatException($"The cache '{Path.GetDirectoryName(path)}' is format version {version}, written by a newer OnnxTransfer " +
                                         $"({String(root, "created_by") ?? "unknown version"}); update OnnxTransfer to read it.");
            if (version < 1) throw new FormatException($"'{path}' has no valid \"version\". {RepairHint(path)}");
            if (!root.TryGetProperty("fingerprint", out var fingerprint) || fingerprint.ValueKind != JsonValueKind.Object)
                throw new FormatException($"'{path}' has no \"fingerprint\" object: the cache is damaged. {RepairHint(path)}");
            BackboneFingerprint parsed;
            try { parsed = BackboneFingerprint.Parse(fingerprint.GetRawText()); }
            catch (FormatException e) { throw new FormatException($"The cache manifest '{path}' has an invalid fingerprint ({e.Message}). {RepairHint(path)}", e); }
            if (String(root, "fingerprint_sha256") is { } sha && sha != parsed.Sha256)
                throw new FormatException($"'{path}' is damaged: its fingerprint does not hash to its fingerprint_sha256. {RepairHint(path)}");
            var backbone = root.TryGetProperty("backbone", out var b) && b.ValueKind == JsonValueKind.Object ? b : default;
            return new CacheManifest
            {
                Fingerprint = parsed,
                BackboneName = backbone.ValueKind == JsonValueKind.Object ? String(backbone, "name") ?? "" : "",
                FeatureTensor = backbone.ValueKind == JsonValueKind.Object ? String(backbone, "feature_tensor") ?? "" : "",
                ModelPath = backbone.ValueKind == JsonValueKind.Object ? String(backbone, "model_path") : null,
                Numerics = ReadNumerics(root),
                Views = ReadViews(root, path),
                CreatedBy = String(root, "created_by") ?? "",
                CreatedAt = String(root, "created_at") is { } at && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
                    ? when : null,
                PartChecksums = String(root, "part_checksums") == "sha256",
            };
        }
        catch (JsonException e)
        {
            throw new FormatException($"The cache manifest '{path}' is not valid JSON ({e.Message}): the cache is damaged. {RepairHint(path)}", e);
        }
    }

    /// <summary>
    /// The fix for a damaged manifest: every part records the fingerprint and numerics, so <c>cache repair</c> rebuilds it
    /// from them (and from what of the damaged file is still readable).
    /// </summary>
    public static string RepairHint(string manifestPath) =>
        $"The parts hold what it records: rebuild it with `onnxtransfer cache repair --cache {Path.GetDirectoryName(Path.GetFullPath(manifestPath))}`.";

    /// <summary>Writes the manifest through a temporary file and a rename, so it is either absent or complete.</summary>
    public void Write(string path)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(ToJson()));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The "numerics" array; absent (a cache made before numerics were recorded) or empty reads as unknown.</summary>
    private static EmbeddingNumerics[] ReadNumerics(JsonElement root)
    {
        if (!root.TryGetProperty("numerics", out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
            return [EmbeddingNumerics.Unknown];
        return array.EnumerateArray().Select(EmbeddingNumerics.FromJson).ToArray();
    }

    /// <summary>The "views" array; absent: a cache without views.</summary>
    private static CacheView[]? ReadViews(JsonElement root, string path)
    {
        if (!root.TryGetProperty("views", out var array)) return null;
        try
        {
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0) throw new FormatException("\"views\" must be a non-empty array");
            var views = array.EnumerateArray().Select(CacheView.FromJson).ToArray();
            if (views[0].Id != CacheLayout.OriginalViewId || views.Select(v => v.Id).Distinct().Count() != views.Length)
                throw new FormatException("\"views\" must start with the original (id 0) and name each id once");
            return views;
        }
        catch (FormatException e) { throw new FormatException($"The cache manifest '{path}' is damaged: {e.Message}. {RepairHint(path)}", e); }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
