using System.Globalization;
using System.Text;

namespace OnnxTransfer.Parquet;

/// <summary>The text rendering of descriptions: the schema in Parquet's message notation, then metadata and row groups.</summary>
internal static class DescriptionText
{
    private const int MaxMetadataValueLength = 200;

    public static string Render(ParquetDatasetDescription dataset)
    {
        if (dataset.Files.Count == 1) return Render(dataset.Files[0]);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"dataset: {dataset.Root} ({dataset.Files.Count} files, {dataset.RowCount} rows)\n\n");
        foreach (var file in dataset.Files) text.Append(Render(file)).Append('\n');
        return text.ToString();
    }

    public static string Render(ParquetFileDescription file)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"file: {file.Path} ({file.FileLength} bytes)\n");
        text.Append(invariant, $"rows: {file.RowCount} in {file.RowGroups.Count} row group(s); format version {file.FormatVersion}");
        if (file.CreatedBy is not null) text.Append(invariant, $"; created by {file.CreatedBy}");
        text.Append("\nschema:\n");
        RenderNode(text, file.Schema, 1);
        foreach (var (name, reason) in file.UnsupportedFields) text.Append(invariant, $"  (field '{name}' cannot be read as a column: {reason})\n");
        if (file.KeyValueMetadata.Count > 0)
        {
            text.Append("key-value metadata:\n");
            foreach (var (key, value) in file.KeyValueMetadata)
            {
                var shown = value is null ? "(null)" : value.Length > MaxMetadataValueLength ? value[..MaxMetadataValueLength] + $"… ({value.Length} chars)" : value;
                text.Append(invariant, $"  {key} = {shown.ReplaceLineEndings(" ")}\n");
            }
        }
        foreach (var group in file.RowGroups)
        {
            text.Append(invariant, $"row group {group.Index}: {group.RowCount} rows, {group.TotalByteSize} bytes uncompressed, {group.CompressedSize} compressed\n");
            var width = group.Columns.Count == 0 ? 0 : group.Columns.Max(c => c.Path.Length);
            foreach (var column in group.Columns)
            {
                text.Append(invariant, $"  {column.Path.PadRight(width)}  {TypeName(column.PhysicalType)} {column.Codec.ToString().ToUpperInvariant()} ");
                text.Append(string.Join(',', column.Encodings.Select(EncodingName)));
                text.Append(invariant, $"  {column.ValueCount} values, {column.CompressedSize}/{column.UncompressedSize} bytes");
                if (column.NullCount is { } nulls) text.Append(invariant, $", nulls {nulls}");
                if (column.Min is not null) text.Append(invariant, $", min {column.Min}");
                if (column.Max is not null) text.Append(invariant, $", max {column.Max}");
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    private static void RenderNode(StringBuilder text, ParquetSchemaNode node, int depth)
    {
        var indent = new string(' ', depth * 2);
        if (node.Repetition is null)
        {
            text.Append(indent).Append("message ").Append(node.Name).Append(" {\n");
        }
        else if (node.IsLeaf)
        {
            text.Append(indent).Append(node.Describe()).Append(";\n");
            return;
        }
        else
        {
            text.Append(indent).Append(node.Describe()).Append(" {\n");
        }
        foreach (var child in node.Children) RenderNode(text, child, depth + 1);
        text.Append(indent).Append("}\n");
    }

    /// <summary>The parquet.thrift spelling (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, ...).</summary>
    private static string TypeName(ParquetPhysicalType type) => type switch
    {
        ParquetPhysicalType.ByteArray => "BYTE_ARRAY",
        ParquetPhysicalType.FixedLenByteArray => "FIXED_LEN_BYTE_ARRAY",
        _ => type.ToString().ToUpperInvariant(),
    };

    private static string EncodingName(ParquetEncoding encoding) => encoding switch
    {
        ParquetEncoding.Plain => "PLAIN",
        ParquetEncoding.PlainDictionary => "PLAIN_DICTIONARY",
        ParquetEncoding.Rle => "RLE",
        ParquetEncoding.BitPacked => "BIT_PACKED",
        ParquetEncoding.DeltaBinaryPacked => "DELTA_BINARY_PACKED",
        ParquetEncoding.DeltaLengthByteArray => "DELTA_LENGTH_BYTE_ARRAY",
        ParquetEncoding.DeltaByteArray => "DELTA_BYTE_ARRAY",
        ParquetEncoding.RleDictionary => "RLE_DICTIONARY",
        ParquetEncoding.ByteStreamSplit => "BYTE_STREAM_SPLIT",
        _ => ((int)encoding).ToString(CultureInfo.InvariantCulture),
    };
}
