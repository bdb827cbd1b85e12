using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using OnnxTransfer.Parquet.Format;

namespace OnnxTransfer.Parquet;

/// <summary>Builds <see cref="ParquetFileDescription"/>s (the library side of <c>onnxtransfer parquet schema FILE|DIR</c>).</summary>
public static class ParquetDescriber
{
    /// <summary>Describes a file, or every part of a dataset directory.</summary>
    public static ParquetDatasetDescription Describe(string fileOrDirectory, ParquetReaderOptions? options = null)
    {
        var files = new List<ParquetFileDescription>();
        foreach (var path in ParquetDataset.ListParts(fileOrDirectory))
        {
            using var reader = ParquetFileReader.Open(path, options);
            files.Add(Describe(reader));
        }
        return new ParquetDatasetDescription { Root = Path.GetFullPath(fileOrDirectory), Files = files };
    }

    public static ParquetFileDescription Describe(ParquetFileReader reader)
    {
        var metadata = reader.Metadata;
        var columns = reader.Schema.Columns;
        return new ParquetFileDescription
        {
            Path = reader.Path,
            FileLength = reader.FileLength,
            RowCount = reader.RowCount,
            FormatVersion = reader.FormatVersion,
            CreatedBy = reader.CreatedBy,
            Schema = reader.Schema.Root,
            UnsupportedFields = reader.Schema.UnsupportedFields,
            KeyValueMetadata = reader.KeyValueMetadata,
            RowGroups = metadata.RowGroups.Select((group, index) => new ParquetRowGroupDescription
            {
                Index = index,
                RowCount = group.NumRows,
                TotalByteSize = group.TotalByteSize,
                CompressedSize = group.TotalCompressedSize ?? group.Columns.Sum(c => c.MetaData!.TotalCompressedSize),
                Columns = group.Columns.Select((chunk, c) => DescribeChunk(chunk.MetaData!, columns[c].ValueField)).ToList(),
            }).ToList(),
        };
    }

    private static ParquetColumnChunkDescription DescribeChunk(ColumnMetaData meta, ParquetPrimitiveField? field)
    {
        var statistics = meta.Statistics;
        var min = statistics?.MinValue ?? statistics?.Min;
        var max = statistics?.MaxValue ?? statistics?.Max;
        return new ParquetColumnChunkDescription
        {
            Path = string.Join('.', meta.PathInSchema),
            PhysicalType = meta.Type,
            Codec = meta.Codec,
            Encodings = meta.Encodings,
            ValueCount = meta.NumValues,
            CompressedSize = meta.TotalCompressedSize,
            UncompressedSize = meta.TotalUncompressedSize,
            DataPageOffset = meta.DataPageOffset,
            DictionaryPageOffset = meta.DictionaryPageOffset,
            NullCount = statistics?.NullCount,
            Min = min is null ? null : RenderValue(meta.Type, field, min),
            Max = max is null ? null : RenderValue(meta.Type, field, max),
        };
    }

    /// <summary>Renders a PLAIN-encoded statistics value (no length prefix) as text.</summary>
    internal static string RenderValue(ParquetPhysicalType type, ParquetPrimitiveField? field, byte[] bytes)
    {
        var invariant = CultureInfo.InvariantCulture;
        return type switch
        {
            ParquetPhysicalType.Boolean when bytes.Length >= 1 => bytes[0] != 0 ? "true" : "false",
            ParquetPhysicalType.Int32 when bytes.Length >= 4 => BinaryPrimitives.ReadInt32LittleEndian(bytes).ToString(invariant),
            ParquetPhysicalType.Int64 when bytes.Length >= 8 => BinaryPrimitives.ReadInt64LittleEndian(bytes).ToString(invariant),
            ParquetPhysicalType.Float when bytes.Length >= 4 => BinaryPrimitives.ReadSingleLittleEndian(bytes).ToString(invariant),
            ParquetPhysicalType.Double when bytes.Length >= 8 => BinaryPrimitives.ReadDoubleLittleEndian(bytes).ToString(invariant),
            ParquetPhysicalType.ByteArray when field?.IsString == true => "\"" + Encoding.UTF8.GetString(bytes) + "\"",
            _ => "0x" + Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 32))) + (bytes.Length > 32 ? "…" : ""),
        };
    }
}
