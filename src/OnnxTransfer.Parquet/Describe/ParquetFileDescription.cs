namespace OnnxTransfer.Parquet;

/// <summary>What a Parquet file's footer says: schema tree, row groups with their column chunks, key-value metadata.</summary>
public sealed class ParquetFileDescription
{
    public required string Path { get; init; }
    public required long FileLength { get; init; }
    public required long RowCount { get; init; }
    public required int FormatVersion { get; init; }
    public string? CreatedBy { get; init; }
    public required ParquetSchemaNode Schema { get; init; }

    /// <summary>Top-level fields that cannot be read into columns by this library, with the reason.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> UnsupportedFields { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string?>> KeyValueMetadata { get; init; }
    public required IReadOnlyList<ParquetRowGroupDescription> RowGroups { get; init; }

    /// <summary>A human-readable rendering (what <c>onnxtransfer parquet schema FILE</c> prints).</summary>
    public string ToText() => DescriptionText.Render(this);

    public override string ToString() => ToText();
}

public sealed class ParquetRowGroupDescription
{
    public required int Index { get; init; }
    public required long RowCount { get; init; }
    public required long TotalByteSize { get; init; }
    public required long CompressedSize { get; init; }
    public required IReadOnlyList<ParquetColumnChunkDescription> Columns { get; init; }
}

/// <summary>One column chunk: codec, encodings, sizes, and statistics rendered as text (null when absent).</summary>
public sealed class ParquetColumnChunkDescription
{
    public required string Path { get; init; }
    public required ParquetPhysicalType PhysicalType { get; init; }
    public required ParquetCompressionCodec Codec { get; init; }
    public required IReadOnlyList<ParquetEncoding> Encodings { get; init; }
    public required long ValueCount { get; init; }
    public required long CompressedSize { get; init; }
    public required long UncompressedSize { get; init; }
    public long DataPageOffset { get; init; }
    public long? DictionaryPageOffset { get; init; }
    public long? NullCount { get; init; }
    public string? Min { get; init; }
    public string? Max { get; init; }
}

/// <summary>A dataset (directory of parts, or one file) as a list of file descriptions.</summary>
public sealed class ParquetDatasetDescription
{
    public required string Root { get; init; }
    public required IReadOnlyList<ParquetFileDescription> Files { get; init; }
    public long RowCount => Files.Sum(f => f.RowCount);

    public string ToText() => DescriptionText.Render(this);

    public override string ToString() => ToText();
}
