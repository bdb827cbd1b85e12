using OnnxTransfer.Formats;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// Which Parquet columns hold what. The defaults are the embedding cache's (docs/formats.md); embeddings written by
/// pyarrow, DuckDB or Spark work too when their columns are named here.
/// </summary>
public sealed record EmbeddingColumns
{
    /// <summary>A LIST&lt;FLOAT&gt; column with the same number of values in every row (required).</summary>
    public string Embedding { get; init; } = CacheLayout.EmbeddingColumn;

    /// <summary>A string column with the class label (required to train or evaluate).</summary>
    public string Label { get; init; } = CacheLayout.LabelColumn;

    /// <summary>A string column naming the split (<c>train</c>, <c>val</c>, …); optional: absent or all-null means no splits.</summary>
    public string Split { get; init; } = CacheLayout.SplitColumn;

    /// <summary>A string column identifying the row, used in messages; optional (with views: required, it names the input).</summary>
    public string Id { get; init; } = CacheLayout.IdColumn;

    /// <summary>
    /// An INT32 column with the view id of each row (a cache extracted with <c>--views</c>; 0 = the original); optional:
    /// without it every row is an input of its own.
    /// </summary>
    public string View { get; init; } = CacheLayout.ViewColumn;

    public static EmbeddingColumns Default { get; } = new();
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
