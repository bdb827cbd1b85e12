namespace OnnxTransfer.Training.Data;

/// <summary>
/// Which Parquet columns hold what. The defaults are the embedding cache's (docs/formats.md); embeddings written by
/// pyarrow, DuckDB or Spark work too when their columns are named here.
/// </summary>
public sealed record EmbeddingColumns
{
    /// <summary>A LIST&lt;FLOAT&gt; column with the same number of values in every row (required).</summary>
    public string Embedding { get; init; } = "embedding";

    /// <summary>A string column with the class label (required to train or evaluate).</summary>
    public string Label { get; init; } = "label";

    /// <summary>A string column naming the split (<c>train</c>, <c>val</c>, …); optional: absent or all-null means no splits.</summary>
    public string Split { get; init; } = "split";

    /// <summary>A string column identifying the row, used in messages; optional.</summary>
    public string Id { get; init; } = "id";

    public static EmbeddingColumns Default { get; } = new();
}

/// <summary>
/// The backbone fingerprint a cache's parts carry (<c>onnxtransfer.fingerprint</c>, canonical JSON) and its sha256
/// (<c>onnxtransfer.fingerprint.sha256</c>, computed from the JSON when a part does not store it). A head trained on
/// the cache carries both into its metadata, so that it is never evaluated on embeddings of another backbone.
/// </summary>
public sealed record CacheFingerprint(string Json, string Sha256)
{
    public const string JsonKey = "onnxtransfer.fingerprint";
    public const string Sha256Key = "onnxtransfer.fingerprint.sha256";

    /// <summary>The first 12 hex digits, for messages.</summary>
    public string Short => Sha256.Length > 12 ? Sha256[..12] : Sha256;

    internal static string ComputeSha256(string json) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)));
}

/// <summary>Which split is trained on and which is evaluated, as chosen from the options and the cache's splits.</summary>
/// <param name="Train">The training split's name; null: every row (the data has no splits).</param>
/// <param name="Evaluation">The evaluation split's name; null: none (selection by cross-validation or hold-out only).</param>
/// <param name="Notes">What was decided and why, for the user (e.g. "no 'val' split: evaluating on none").</param>
public sealed record SplitPlan(string? Train, string? Evaluation, IReadOnlyList<string> Notes)
{
    /// <summary>"train" or "all rows", for messages.</summary>
    public string TrainName => Train ?? "all";
}
