using System.Globalization;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Formats;

/// <summary>
/// The Parquet key/value metadata of a cache part (docs/formats.md, "Embedding cache"): written by the extractor into
/// every embedding and error part, read back by the cache (which part belongs, which numerics) and by the trainer
/// (which backbone a head is trained on). Parts written by other tools carry none of it: every field is then absent.
/// </summary>
public sealed record CachePartMetadata
{
    /// <summary>The backbone fingerprint as the part records it; null when the part carries none.</summary>
    public BackboneFingerprint? Fingerprint { get; init; }

    /// <summary>The stored fingerprint sha256 (null when the part stores none), the key a part is matched to its cache by.</summary>
    public string? FingerprintSha256 { get; init; }

    /// <summary>Floats per embedding; 0 when the part does not say.</summary>
    public int Dimension { get; init; }

    /// <summary>The part's numerics JSON as stored (null for parts written before numerics were recorded).</summary>
    public string? NumericsJson { get; init; }

    /// <summary>The numerics the part's embeddings were computed with (unknown when not recorded).</summary>
    public EmbeddingNumerics Numerics => EmbeddingNumerics.Parse(NumericsJson);

    /// <summary>The backbone's name in its spec (null for parts written before it was recorded).</summary>
    public string? BackboneName { get; init; }

    /// <summary>The feature tensor the backbone was cut at (null for parts written before it was recorded).</summary>
    public string? FeatureTensor { get; init; }

    /// <summary>The Parquet footer's <c>created_by</c>: the tool version that wrote the part.</summary>
    public string? WrittenBy { get; init; }

    /// <summary>
    /// The entries, in the order every part has had them: format, fingerprint, its sha256, dimension, then the active
    /// providers and the numerics when known (error parts carry neither), then the backbone's name and feature tensor
    /// when given (what a manifest holds beyond these, for <c>cache repair</c>).
    /// </summary>
    public static List<KeyValuePair<string, string>> Entries(BackboneFingerprint fingerprint, int dimension, IReadOnlyList<string> providers,
        EmbeddingNumerics? numerics, string? backboneName = null, string? featureTensor = null)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(providers);
        var metadata = new List<KeyValuePair<string, string>>
        {
            new(MetadataKeys.Format, CacheLayout.PartFormat),
            new(MetadataKeys.Fingerprint, fingerprint.Json),
            new(MetadataKeys.FingerprintSha256, fingerprint.Sha256),
            new(MetadataKeys.Dimension, dimension.ToString(CultureInfo.InvariantCulture)),
        };
        if (providers.Count > 0) metadata.Add(new(MetadataKeys.Providers, string.Join(",", providers)));
        if (numerics is not null) metadata.Add(new(MetadataKeys.Numerics, numerics.ToJson()));
        if (!string.IsNullOrEmpty(backboneName)) metadata.Add(new(MetadataKeys.BackboneName, backboneName));
        if (!string.IsNullOrEmpty(featureTensor)) metadata.Add(new(MetadataKeys.FeatureTensor, featureTensor));
        return metadata;
    }

    /// <summary>Reads the entries of an open part; the fingerprint's sha256 is computed from its JSON when not stored.</summary>
    public static CachePartMetadata Read(ParquetFileReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var json = reader.GetMetadata(MetadataKeys.Fingerprint);
        var sha = reader.GetMetadata(MetadataKeys.FingerprintSha256);
        return new CachePartMetadata
        {
            Fingerprint = string.IsNullOrEmpty(json) ? null : BackboneFingerprint.Recorded(json, sha),
            FingerprintSha256 = sha,
            Dimension = int.TryParse(reader.GetMetadata(MetadataKeys.Dimension), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d > 0 ? d : 0,
            NumericsJson = reader.GetMetadata(MetadataKeys.Numerics),
            BackboneName = reader.GetMetadata(MetadataKeys.BackboneName),
            FeatureTensor = reader.GetMetadata(MetadataKeys.FeatureTensor),
            WrittenBy = reader.CreatedBy,
        };
    }
}
