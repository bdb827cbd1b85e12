using System.Globalization;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// What opening a dataset learns from one part without reading its embeddings: fingerprint, dimension (checked in every
/// row group from the chunk's value count), and per row the label and split (as indices into the part's own lists).
/// </summary>
internal sealed class PartScan
{
    public BackboneFingerprint? Fingerprint { get; private init; }

    /// <summary>The part's <see cref="MetadataKeys.Numerics"/> (JSON), null when it has none.</summary>
    public string? Numerics { get; private init; }

    /// <summary>0 when the part has no rows.</summary>
    public int Dimension { get; private init; }

    public bool HasIds { get; private init; }

    /// <summary>The part has a view column (a cache extracted with views): its groups carry view ids, <see cref="GroupIds"/> their ids.</summary>
    public bool HasViews { get; private init; }

    /// <summary>With views: each group's ids (the input a row is a view of), parallel to <see cref="Groups"/>.</summary>
    public List<string?[]> GroupIds { get; } = [];

    public List<string> Labels { get; } = [];

    public List<string> Splits { get; } = [];

    public List<RowGroupEntry> Groups { get; } = [];

    public static PartScan Read(string path, EmbeddingColumns columns, ParquetReaderOptions options)
    {
        using var reader = ParquetFileReader.Open(path, options);
        var schema = reader.Schema;
        CheckEmbeddingColumn(path, schema, columns.Embedding);
        CheckStringColumn(path, schema, columns.Label, "label", "--label-column",
            "Training and evaluation need a label per row: extract from an ImageFolder layout or a manifest with labels, or name the label column.");
        bool hasSplit = schema.Contains(columns.Split);
        if (hasSplit) CheckStringColumn(path, schema, columns.Split, "split", "--split-column", null);
        bool hasIds = schema.Contains(columns.Id) && schema[columns.Id] is ParquetPrimitiveField { IsString: true };
        bool hasViews = schema.Contains(columns.View);
        if (hasViews && schema[columns.View] is not ParquetPrimitiveField { PhysicalType: ParquetPhysicalType.Int32 })
            throw new TrainingDataException($"Column '{columns.View}' of '{path}' is {schema[columns.View]}, but a view column holds INT32 view ids (0 = the original).");
        if (hasViews && !hasIds)
            throw new TrainingDataException($"'{path}' has a view column '{columns.View}' but no string id column '{columns.Id}': the id names the input a view belongs to " +
                                            "(rows of one input are kept together). Name the id column with --id-column.");

        var metadata = CachePartMetadata.Read(reader);
        var scan = new PartScan
        {
            Fingerprint = metadata.Fingerprint, Numerics = metadata.NumericsJson, Dimension = ReadDimension(reader, columns, hasIds, metadata.Dimension), HasIds = hasIds,
            HasViews = hasViews,
        };
        var labelIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var splitIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            int rows = reader.RowGroupRowCount(g);
            if (rows == 0) continue;
            var group = reader.OpenRowGroup(g);
            var labels = Index(group.ReadStrings(columns.Label), labelIndex, scan.Labels);
            var splits = hasSplit ? Index(group.ReadStrings(columns.Split), splitIndex, scan.Splits) : null;
            if (splits is not null && Array.TrueForAll(splits, s => s < 0)) splits = null;
            scan.Groups.Add(new RowGroupEntry(0, g, rows, 0, labels, splits, hasViews ? group.ReadValues<int>(columns.View) : null));
            if (hasViews) scan.GroupIds.Add(group.ReadStrings(columns.Id));
        }
        return scan;
    }

    /// <summary>Per row the index of its value in <paramref name="names"/> (added on first sight), −1 for null or empty.</summary>
    private static int[] Index(string?[] values, Dictionary<string, int> index, List<string> names)
    {
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var value = values[i];
            if (string.IsNullOrEmpty(value))
            {
                result[i] = -1;
                continue;
            }
            if (!index.TryGetValue(value, out var position))
            {
                position = names.Count;
                index[value] = position;
                names.Add(value);
            }
            result[i] = position;
        }
        return result;
    }

    /// <summary>
    /// The embedding length: from <see cref="MetadataKeys.Dimension"/> when present, else the first row group's values per row; every
    /// row group's value count must equal rows × dim (a null or shorter row is found and named).
    /// </summary>
    private static int ReadDimension(ParquetFileReader reader, EmbeddingColumns columns, bool hasIds, int declared)
    {
        int dimension = declared;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            int rows = reader.RowGroupRowCount(g);
            if (rows == 0) continue;
            var group = reader.OpenRowGroup(g);
            long values = group.ColumnValueCount(columns.Embedding);
            if (dimension == 0 && values % rows == 0 && values > 0) dimension = checked((int)(values / rows));
            if (dimension > 0 && values == (long)rows * dimension) continue;
            throw BadRow(reader, group, columns, hasIds, dimension);
        }
        return dimension;
    }

    /// <summary>Finds the first row whose embedding is null or of another length and says which it is.</summary>
    private static TrainingDataException BadRow(ParquetFileReader reader, ParquetRowGroupReader group, EmbeddingColumns columns, bool hasIds, int dimension)
    {
        var data = group.ReadColumn(columns.Embedding);
        var ids = hasIds ? group.ReadStrings(columns.Id) : null;
        for (int row = 0; row < data.RowCount; row++)
        {
            int length = data.Offsets![row + 1] - data.Offsets[row];
            bool isNull = data.IsRowNull(row);
            bool nullElement = false;
            for (int j = data.Offsets[row]; j < data.Offsets[row + 1] && !nullElement; j++) nullElement = data.IsValueNull(j);
            if (!isNull && !nullElement && length == dimension && length > 0) continue;
            string where = $"'{Path.GetFileName(reader.Path)}', row group {group.Index}, row {row}" + (ids?[row] is { } id ? $" (id '{id}')" : "");
            string what = isNull ? "the embedding is null"
                : nullElement ? "the embedding has a null element"
                : dimension == 0 ? $"the embedding has {length} values"
                : $"the embedding has {length} values where the others have {dimension}";
            return new TrainingDataException(
                $"{where}: {what}. Every row needs an embedding of the same length: re-extract that input or drop the row.");
        }
        return new TrainingDataException(
            $"'{Path.GetFileName(reader.Path)}', row group {group.Index}: the embedding column's value count does not match {data.RowCount} rows of {dimension} values.");
    }

    private static void CheckEmbeddingColumn(string path, ParquetSchema schema, string name)
    {
        if (!schema.Contains(name))
            throw new TrainingDataException(
                $"'{path}' has no embedding column '{name}' (columns: {string.Join(", ", schema.Fields.Select(f => f.Name))}). " +
                "Name it with --embedding-column." + Unsupported(schema, name));
        if (schema[name] is not ParquetListField { Element.PhysicalType: ParquetPhysicalType.Float })
            throw new TrainingDataException(
                $"Column '{name}' of '{path}' is {schema[name]}, but embeddings must be LIST<FLOAT>. " +
                $"Convert them, e.g. in DuckDB: SELECT * REPLACE ({name}::FLOAT[] AS {name}).");
    }

    private static void CheckStringColumn(string path, ParquetSchema schema, string name, string role, string option, string? why)
    {
        if (!schema.Contains(name))
        {
            if (role == "split") return;
            throw new TrainingDataException(
                $"'{path}' has no {role} column '{name}' (columns: {string.Join(", ", schema.Fields.Select(f => f.Name))}). " +
                $"{why} ({option} names another column.)");
        }
        if (schema[name] is not ParquetPrimitiveField { IsString: true })
            throw new TrainingDataException(
                $"Column '{name}' of '{path}' is {schema[name]}, but the {role} must be a string (labels become the head's class names). " +
                $"Convert it, e.g. in DuckDB: SELECT * REPLACE ({name}::VARCHAR AS {name}).");
    }

    private static string Unsupported(ParquetSchema schema, string name) =>
        schema.UnsupportedFields.FirstOrDefault(f => f.Key == name) is { Key: not null } field ? $" (The column exists but cannot be read: {field.Value}.)" : "";
}
