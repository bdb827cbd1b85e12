namespace OnnxTransfer.Formats;

/// <summary>
/// Every key OnnxTransfer writes into Parquet key/value metadata and ONNX <c>metadata_props</c> (docs/formats.md), each
/// spelt once. The types that read and write them: <see cref="CachePartMetadata"/> (cache parts),
/// <see cref="HeadMetadata"/> and <see cref="HeadOnnxFile"/> (heads), the fused-model composer and reader, and the
/// score part writer.
/// </summary>
public static class MetadataKeys
{
    /// <summary>What the file is: <c>embedding-cache/1</c>, <c>scores/1</c>, <c>head/1</c>, <c>fused/1</c>.</summary>
    public const string Format = "onnxtransfer.format";

    /// <summary>Cache parts: the backbone fingerprint (canonical JSON) and its sha256.</summary>
    public const string Fingerprint = "onnxtransfer.fingerprint";
    public const string FingerprintSha256 = "onnxtransfer.fingerprint.sha256";

    /// <summary>Cache parts: floats per embedding.</summary>
    public const string Dimension = "onnxtransfer.dim";

    /// <summary>Cache parts: the execution providers that were active, comma-separated.</summary>
    public const string Providers = "onnxtransfer.providers";

    /// <summary>Cache parts: the numerics (JSON, <see cref="EmbeddingNumerics"/>) the part's embeddings were computed with.</summary>
    public const string Numerics = "onnxtransfer.numerics";

    /// <summary>
    /// Cache parts: the backbone's name in its spec and the feature tensor, so <c>cache repair</c> can rebuild a lost
    /// manifest from the parts (constant for a backbone spec: parts stay byte-identical across runs and shards).
    /// </summary>
    public const string BackboneName = "onnxtransfer.backbone.name";
    public const string FeatureTensor = "onnxtransfer.backbone.feature_tensor";

    /// <summary>Heads, fused models and score parts: JSON array of class labels; index = output column.</summary>
    public const string Labels = "onnxtransfer.labels";

    /// <summary>Heads: the structure the importer rebuilds the head from (JSON).</summary>
    public const string Head = "onnxtransfer.head";

    /// <summary>Heads: the evaluation metrics at training time (JSON).</summary>
    public const string Metrics = "onnxtransfer.metrics";

    /// <summary>Heads (and fused models, carried over): the fingerprint of the cache the head was trained on, and its sha256.</summary>
    public const string CacheFingerprint = "onnxtransfer.cache.fingerprint";
    public const string CacheFingerprintSha256 = "onnxtransfer.cache.fingerprint.sha256";

    /// <summary>Heads: JSON array of the numerics (provider, precision, runtime) of the cache a head was trained on.</summary>
    public const string CacheNumerics = "onnxtransfer.cache.numerics";

    /// <summary>Heads: which splits were trained on and evaluated (<c>train=…;eval=…</c>).</summary>
    public const string TrainingSplits = "onnxtransfer.training.splits";

    /// <summary>
    /// Heads (and fused models, carried over) with an <c>ood_score</c> output: its method (<c>mahalanobis</c>,
    /// <c>energy</c>, <c>msp</c>), the threshold above which a score means out-of-distribution (float, round-trip text),
    /// and the share of held-out training rows that threshold was chosen to flag.
    /// </summary>
    public const string OodMethod = "onnxtransfer.ood.method";
    public const string OodThreshold = "onnxtransfer.ood.threshold";
    public const string OodFalsePositiveRate = "onnxtransfer.ood.fpr";

    /// <summary>Fused models: the backbone's fingerprint and its sha256.</summary>
    public const string BackboneFingerprint = "onnxtransfer.backbone.fingerprint";
    public const string BackboneFingerprintSha256 = "onnxtransfer.backbone.fingerprint.sha256";

    /// <summary>Fused models: the backbone spec (JSON) a caller follows to decode and preprocess its inputs.</summary>
    public const string BackboneSpec = "onnxtransfer.backbone.spec";

    /// <summary>Fused models: sha256 of the head file the model was composed from.</summary>
    public const string HeadSha256 = "onnxtransfer.head.sha256";

    /// <summary>Fused text models: the whole tokenizer (<c>OnnxTransfer.Text.BertTokenizerJson</c>), so the file alone tokenises.</summary>
    public const string Tokenizer = "onnxtransfer.tokenizer";

    /// <summary>Fused models: <c>unit</c> (0–1 pixels) or <c>byte</c> (0–255) when input normalisation is folded into the graph.</summary>
    public const string InputScale = "onnxtransfer.input.scale";

    /// <summary>
    /// Fused models composed with <c>--tta</c>: the input views the graph averages, comma-separated in view-id order
    /// (<c>original,hflip</c>), and how they are combined (<see cref="ModelLayout.MeanOfViewProbabilities"/>). Absent
    /// when the model sees only the original input.
    /// </summary>
    public const string TestTimeViews = "onnxtransfer.tta.views";
    public const string TestTimeCombine = "onnxtransfer.tta.combine";

    /// <summary>Score parts: the identity of the model that scored them, and the shard (<c>K/N</c>).</summary>
    public const string Model = "onnxtransfer.model";
    public const string Shard = "onnxtransfer.shard";
}
