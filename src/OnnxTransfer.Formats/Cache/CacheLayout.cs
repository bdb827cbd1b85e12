using System.Globalization;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Formats;

/// <summary>
/// The embedding cache's file names, Parquet schemas and metadata keys (docs/formats.md, "Embedding cache"). Names that
/// start with '_' or '.' are skipped by DuckDB/pyarrow/Spark globs, so <c>CACHE/*.parquet</c> reads the embeddings only.
/// </summary>
public static class CacheLayout
{
    public const string FormatName = "onnxtransfer.embedding-cache";
    public const int FormatVersion = 1;

    /// <summary>Value of <see cref="MetadataKeys.Format"/> in every part.</summary>
    public const string PartFormat = "embedding-cache/1";

    public const string ManifestFile = "_manifest.json";
    public const string ErrorsFolder = "_errors";
    public const string LockFile = ".lock";

    public const string IdColumn = "id";
    public const string SourceColumn = "source";
    public const string LabelColumn = "label";
    public const string SplitColumn = "split";
    public const string EmbeddingColumn = "embedding";
    public const string ReasonColumn = "reason";
    public const string MessageColumn = "message";

    /// <summary>
    /// Caches extracted with views (<c>extract --views</c>): which view of the input a row holds, as the view's id
    /// (<see cref="CacheView"/>; the manifest's <c>views</c> names them). Every row of such a cache has it; a cache
    /// without views has no such column.
    /// </summary>
    public const string ViewColumn = "view";

    /// <summary>The view id of the input as it is (no transform): what a cache without views holds, and what evaluation scores.</summary>
    public const int OriginalViewId = 0;

    /// <summary>id, source, label, split, embedding (3-level LIST of non-null FLOAT).</summary>
    public static ParquetSchema EmbeddingSchema { get; } = new(
        ParquetField.String(IdColumn, nullable: false),
        ParquetField.String(SourceColumn, nullable: false),
        ParquetField.String(LabelColumn),
        ParquetField.String(SplitColumn),
        ParquetField.List(EmbeddingColumn, ParquetField.Float("element", nullable: false), nullable: false));

    /// <summary>A cache with views: id, view (INT32, required), source, label, split, embedding.</summary>
    public static ParquetSchema ViewEmbeddingSchema { get; } = new(
        ParquetField.String(IdColumn, nullable: false),
        ParquetField.Int32(ViewColumn, nullable: false),
        ParquetField.String(SourceColumn, nullable: false),
        ParquetField.String(LabelColumn),
        ParquetField.String(SplitColumn),
        ParquetField.List(EmbeddingColumn, ParquetField.Float("element", nullable: false), nullable: false));

    /// <summary>id, source, label, split, reason, message.</summary>
    public static ParquetSchema ErrorSchema { get; } = new(
        ParquetField.String(IdColumn, nullable: false),
        ParquetField.String(SourceColumn, nullable: false),
        ParquetField.String(LabelColumn),
        ParquetField.String(SplitColumn),
        ParquetField.String(ReasonColumn, nullable: false),
        ParquetField.String(MessageColumn, nullable: false));

    /// <summary>part-00000.parquet, part-00001.parquet, … (at least five digits).</summary>
    public static string PartName(int index) => PartName(index, ShardSpec.All);

    /// <summary>part-00000.parquet unsharded; part-00000.shard-K-of-N.parquet for shard K of N (the score folder's naming).</summary>
    public static string PartName(int index, ShardSpec shard) => PartName(index, shard, ".parquet");

    /// <summary>The naming every part folder shares (caches, scores): the index, the shard's tag, the extension.</summary>
    internal static string PartName(int index, ShardSpec shard, string extension) =>
        $"part-{index.ToString("D5", CultureInfo.InvariantCulture)}{(shard.IsAll ? "" : "." + shard.FileTag)}{extension}";

    /// <summary>The index in a part file name, or -1 when the name is not a part's.</summary>
    public static int PartIndex(string fileName) => ParsePartName(fileName)?.Index ?? -1;

    /// <summary>The index and shard of a part file name (either form of <see cref="PartName(int, ShardSpec)"/>), or null.</summary>
    public static (int Index, ShardSpec Shard)? ParsePartName(string fileName)
    {
        if (!fileName.StartsWith("part-", StringComparison.Ordinal) || !fileName.EndsWith(".parquet", StringComparison.Ordinal)) return null;
        var middle = fileName.AsSpan(5, fileName.Length - 5 - ".parquet".Length);
        var dot = middle.IndexOf('.');
        var digits = dot < 0 ? middle : middle[..dot];
        if (digits.Length == 0 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) return null;
        if (dot < 0) return (index, ShardSpec.All);
        var tag = middle[(dot + 1)..]; // shard-K-of-N
        if (!tag.StartsWith("shard-")) return null;
        var of = tag.IndexOf("-of-");
        if (of < 0
            || !int.TryParse(tag[6..of], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            || !int.TryParse(tag[(of + 4)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || n < 2 || k >= n)
            return null;
        return (index, new ShardSpec(k, n));
    }
}
