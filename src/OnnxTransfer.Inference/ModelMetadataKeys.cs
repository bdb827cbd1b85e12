namespace OnnxTransfer.Inference;

/// <summary>The <c>metadata_props</c> keys of heads and fused models (docs/formats.md).</summary>
public static class ModelMetadataKeys
{
    public const string Format = "onnxtransfer.format";
    public const string HeadFormat = "head/1";
    public const string FusedFormat = "fused/1";

    /// <summary>JSON array of class labels; index = output column.</summary>
    public const string Labels = "onnxtransfer.labels";

    public const string CacheFingerprintSha256 = "onnxtransfer.cache.fingerprint.sha256";
    public const string CacheFingerprint = "onnxtransfer.cache.fingerprint";

    /// <summary>JSON array of the numerics (provider, precision, runtime) of the cache a head was trained on.</summary>
    public const string CacheNumerics = "onnxtransfer.cache.numerics";

    public const string BackboneFingerprintSha256 = "onnxtransfer.backbone.fingerprint.sha256";
    public const string BackboneFingerprint = "onnxtransfer.backbone.fingerprint";

    /// <summary>The backbone spec (JSON) a caller of the fused model follows to decode and preprocess its inputs.</summary>
    public const string BackboneSpec = "onnxtransfer.backbone.spec";

    /// <summary>sha256 of the head file the fused model was composed from.</summary>
    public const string HeadSha256 = "onnxtransfer.head.sha256";

    /// <summary>Fused text models: the whole tokenizer (<c>OnnxTransfer.Text.BertTokenizerJson</c>), so the file alone tokenises.</summary>
    public const string Tokenizer = "onnxtransfer.tokenizer";

    /// <summary><c>unit</c> (0–1 pixels) or <c>byte</c> (0–255) when input normalisation is folded into the graph.</summary>
    public const string InputScale = "onnxtransfer.input.scale";

    /// <summary>The graph's input and output names every caller reads.</summary>
    public const string ProbabilitiesOutput = "probabilities";
    public const string LabelIndexOutput = "label_index";
    public const string FeaturesOutput = "features";
}
