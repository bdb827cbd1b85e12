using OnnxTransfer.Parquet;

namespace OnnxTransfer.Formats;

/// <summary>
/// File names and the Parquet schema of a scores folder (docs/formats.md, "Scores"). Unsharded: <c>part-00000.parquet</c>,
/// <c>_manifest.json</c>, <c>_SUCCESS</c>. Shard K of N writes into the same folder with its tag in every name —
/// <c>part-00000.shard-K-of-N.parquet</c>, <c>_manifest.shard-K-of-N.json</c>, <c>_SUCCESS.shard-K-of-N</c> — so N
/// workers never touch each other's files and <c>OUT/*.parquet</c> reads their union.
/// </summary>
public static class ScoreLayout
{
    public const string FormatName = "onnxtransfer.scores";
    public const int FormatVersion = 1;

    /// <summary>Value of <see cref="MetadataKeys.Format"/> in every Parquet part.</summary>
    public const string PartFormat = "scores/1";

    public const string IdColumn = "id";
    public const string SourceColumn = "source";
    public const string LabelColumn = "label";
    public const string ProbabilityColumn = "probability";
    public const string TopKLabelsColumn = "top_k_labels";
    public const string TopKProbabilitiesColumn = "top_k_probabilities";
    public const string TrueLabelColumn = "true_label";
    public const string ErrorColumn = "error";
    public const string ErrorMessageColumn = "error_message";

    /// <summary>
    /// Only when the model has an OOD output (a head trained with --ood): its score (float, higher = less like the
    /// training data) and whether it is above the model's threshold (bool); null for a failed input.
    /// </summary>
    public const string OodScoreColumn = "ood_score";
    public const string OodColumn = "ood";

    /// <summary>The columns, in order (CSV header too).</summary>
    public static IReadOnlyList<string> Columns { get; } =
        [IdColumn, SourceColumn, LabelColumn, ProbabilityColumn, TopKLabelsColumn, TopKProbabilitiesColumn, TrueLabelColumn, ErrorColumn, ErrorMessageColumn];

    public static ParquetSchema Schema { get; } = new(BaseFields());

    private static ParquetField[] BaseFields() =>
    [
        ParquetField.String(IdColumn, nullable: false),
        ParquetField.String(SourceColumn, nullable: false),
        ParquetField.String(LabelColumn),
        ParquetField.Float(ProbabilityColumn),
        ParquetField.List(TopKLabelsColumn, ParquetField.String("element", nullable: false)),
        ParquetField.List(TopKProbabilitiesColumn, ParquetField.Float("element", nullable: false)),
        ParquetField.String(TrueLabelColumn),
        ParquetField.String(ErrorColumn),
        ParquetField.String(ErrorMessageColumn),
    ];

    /// <summary>The columns of a model with an OOD output: <see cref="Columns"/>, then ood_score and ood.</summary>
    public static IReadOnlyList<string> ColumnsWithOod { get; } = [.. Columns, OodScoreColumn, OodColumn];

    public static ParquetSchema SchemaWithOod { get; } = new([.. BaseFields(), ParquetField.Float(OodScoreColumn), ParquetField.Boolean(OodColumn)]);

    /// <summary>The key/value metadata of every Parquet score part: format, the model that scored it, its labels, the shard.</summary>
    public static KeyValuePair<string, string>[] PartMetadata(string modelIdentity, IReadOnlyList<string> labels, ShardSpec shard) =>
    [
        new(MetadataKeys.Format, PartFormat),
        new(MetadataKeys.Model, modelIdentity),
        new(MetadataKeys.Labels, FormatsJson.StringArray(labels)),
        new(MetadataKeys.Shard, shard.ToString()),
    ];

    public static string Extension(ScoreFormat format) => format == ScoreFormat.Csv ? ".csv" : ".parquet";

    public static string PartName(int index, ShardSpec shard, ScoreFormat format) => CacheLayout.PartName(index, shard, Extension(format));

    public static string SuccessName(ShardSpec shard) => shard.IsAll ? "_SUCCESS" : $"_SUCCESS.{shard.FileTag}";

    public static string ManifestName(ShardSpec shard) => shard.IsAll ? "_manifest.json" : $"_manifest.{shard.FileTag}.json";

    /// <summary>The shard tag in a part or manifest name ("" for unsharded names), or null when the name is not ours.</summary>
    public static string? TagOf(string fileName)
    {
        string core;
        if (fileName.StartsWith("part-", StringComparison.Ordinal))
        {
            core = Path.GetFileNameWithoutExtension(fileName);
            if (!fileName.EndsWith(".parquet", StringComparison.Ordinal) && !fileName.EndsWith(".csv", StringComparison.Ordinal)) return null;
        }
        else if (fileName.StartsWith("_manifest", StringComparison.Ordinal) && fileName.EndsWith(".json", StringComparison.Ordinal))
        {
            core = Path.GetFileNameWithoutExtension(fileName);
        }
        else return null;
        var dot = core.IndexOf('.');
        return dot < 0 ? "" : core[(dot + 1)..];
    }
}
