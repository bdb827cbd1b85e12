using OnnxTransfer.Parquet;

namespace OnnxTransfer.Formats;

/// <summary>
/// The files <c>onnxtransfer audit --out DIR</c> writes (docs/formats.md, "Audit"): <c>audit.parquet</c>, one row per
/// finding (a row may appear once per reason), and <c>audit.json</c>, the summary. Every finding names the cache row by
/// <c>id</c> and <c>source</c> so that it can be joined back to the cache or the inputs.
/// </summary>
public static class AuditLayout
{
    /// <summary>Value of <see cref="MetadataKeys.Format"/> in the Parquet file.</summary>
    public const string PartFormat = "audit/1";

    public const string FindingsFileName = "audit.parquet";
    public const string SummaryFileName = "audit.json";

    public const string IdColumn = "id";
    public const string SourceColumn = "source";
    public const string SplitColumn = "split";
    public const string ReasonColumn = "reason";
    public const string ScoreColumn = "score";
    public const string RankColumn = "rank";
    public const string GivenLabelColumn = "given_label";
    public const string SuggestedLabelColumn = "suggested_label";
    public const string NeighbourIdColumn = "neighbour_id";
    public const string NeighbourSourceColumn = "neighbour_source";

    /// <summary>A training row whose given label is off the confident diagonal; score = self-confidence (lower = more suspicious).</summary>
    public const string LabelIssueReason = "label-issue";

    /// <summary>A training row with another training row at cosine ≥ the threshold; score = that cosine.</summary>
    public const string NearDuplicateReason = "near-duplicate";

    /// <summary>An evaluation row with a training row at cosine ≥ the threshold; score = that cosine.</summary>
    public const string LeakageReason = "leakage";

    public static ParquetSchema Schema { get; } = new(
        ParquetField.String(IdColumn, nullable: false),
        ParquetField.String(SourceColumn, nullable: false),
        ParquetField.String(SplitColumn),
        ParquetField.String(ReasonColumn, nullable: false),
        ParquetField.Double(ScoreColumn, nullable: false),
        ParquetField.Int32(RankColumn),
        ParquetField.String(GivenLabelColumn),
        ParquetField.String(SuggestedLabelColumn),
        ParquetField.String(NeighbourIdColumn),
        ParquetField.String(NeighbourSourceColumn));
}
