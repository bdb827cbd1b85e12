namespace OnnxTransfer.Formats;

/// <summary>
/// The <c>metadata_props</c> of a head (docs/formats.md, "Head"): written here by the trainer's exporter, read back by
/// <see cref="HeadOnnxFile"/>. The values other than the labels are JSON the trainer composes (the structure, the
/// metrics) or carries from the cache (fingerprint, numerics).
/// </summary>
public sealed record HeadMetadata
{
    /// <summary>Class labels; output column i is label i.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The <see cref="MetadataKeys.Head"/> JSON: kind, dimensions, layers and the initializers that hold their weights.</summary>
    public required string Structure { get; init; }

    /// <summary>The <see cref="MetadataKeys.Metrics"/> JSON.</summary>
    public required string MetricsJson { get; init; }

    /// <summary>The fingerprint of the cache the head was trained on; null when the embeddings carried none.</summary>
    public BackboneFingerprint? CacheFingerprint { get; init; }

    /// <summary>JSON array of the training cache's numerics; null when unknown.</summary>
    public string? CacheNumericsJson { get; init; }

    /// <summary>Writes every entry through <paramref name="set"/> (e.g. <c>GraphBuilder.SetMetadata</c>), in the file's order.</summary>
    public void WriteTo(Action<string, string> set)
    {
        ArgumentNullException.ThrowIfNull(set);
        set(MetadataKeys.Format, ModelLayout.HeadFormat);
        set(MetadataKeys.Labels, FormatsJson.StringArray(Labels));
        set(MetadataKeys.Head, Structure);
        set(MetadataKeys.Metrics, MetricsJson);
        if (CacheFingerprint is { } fingerprint)
        {
            set(MetadataKeys.CacheFingerprintSha256, fingerprint.Sha256);
            set(MetadataKeys.CacheFingerprint, fingerprint.Json);
        }
        if (CacheNumericsJson is { } numerics) set(MetadataKeys.CacheNumerics, numerics);
    }
}
