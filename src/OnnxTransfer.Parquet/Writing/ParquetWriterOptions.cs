namespace OnnxTransfer.Parquet;

/// <summary>Choices for writing. The defaults give files shaped like pyarrow's: SNAPPY, data page v1, dictionary strings.</summary>
public sealed class ParquetWriterOptions
{
    public static ParquetWriterOptions Default { get; } = new();

    public ParquetCompressionCodec Compression { get; init; } = ParquetCompressionCodec.Snappy;

    /// <summary>Codec level (ZSTD 1..22, default 3; GZIP 1 = fastest, 9 = smallest); null for the codec's default.</summary>
    public int? CompressionLevel { get; init; }

    public ParquetDataPageVersion DataPageVersion { get; init; } = ParquetDataPageVersion.V1;

    /// <summary>Target size of a data page's encoded values before compression; pages always end on row boundaries.</summary>
    public int PageSizeBytes { get; init; } = 1 << 20;

    /// <summary>Rows per row group when <see cref="ParquetFileWriter.Write"/> splits a batch (row groups begun explicitly have the size given).</summary>
    public int RowGroupSize { get; init; } = 1024 * 64;

    /// <summary>Dictionary-encode string and binary columns (falls back to PLAIN when the dictionary exceeds <see cref="DictionaryPageSizeLimit"/>).</summary>
    public bool DictionaryEncodeStrings { get; init; } = true;

    public int DictionaryPageSizeLimit { get; init; } = 1 << 20;

    /// <summary>Encode FLOAT and DOUBLE columns (and list elements) with BYTE_STREAM_SPLIT, which helps ZSTD/SNAPPY compress them.</summary>
    public bool ByteStreamSplitFloatingPoint { get; init; }

    /// <summary>Store a CRC-32 of every page (parquet.thrift <c>PageHeader.crc</c>) so readers can detect corrupted pages.</summary>
    public bool WritePageChecksums { get; init; }

    /// <summary>
    /// Write a <c>NAME.sha256</c> file beside the Parquet file (<see cref="FileChecksum"/>) before it is renamed into
    /// place; readers then check every byte on open (<see cref="ParquetReaderOptions.VerifyFileChecksums"/>).
    /// </summary>
    public bool WriteFileChecksum { get; init; }

    /// <summary>Write min/max/null-count statistics for primitive (non-list) columns.</summary>
    public bool WriteStatistics { get; init; } = true;

    /// <summary>The footer's created_by, in the "&lt;application&gt; version &lt;version&gt;" form readers parse.</summary>
    public string CreatedBy { get; init; } = "OnnxTransfer.Parquet version 0.1.0";

    internal void Validate()
    {
        if (Compression is not (ParquetCompressionCodec.Uncompressed or ParquetCompressionCodec.Snappy or ParquetCompressionCodec.Gzip or ParquetCompressionCodec.Zstd))
            throw new ArgumentException($"Compression {Compression} cannot be written; choose Uncompressed, Snappy, Gzip or Zstd.");
        if (PageSizeBytes <= 0) throw new ArgumentException($"PageSizeBytes must be positive, not {PageSizeBytes}.");
        if (RowGroupSize <= 0) throw new ArgumentException($"RowGroupSize must be positive, not {RowGroupSize}.");
        if (DictionaryPageSizeLimit <= 0) throw new ArgumentException($"DictionaryPageSizeLimit must be positive, not {DictionaryPageSizeLimit}.");
        if (!Enum.IsDefined(DataPageVersion)) throw new ArgumentException($"DataPageVersion {DataPageVersion} is not V1 or V2.");
    }
}
