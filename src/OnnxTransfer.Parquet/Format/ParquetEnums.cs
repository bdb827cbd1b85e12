namespace OnnxTransfer.Parquet;

// The numbering of every enum here is the one parquet.thrift gives: the values are written to files as they are.

/// <summary>How values are stored on disk (parquet.thrift <c>Type</c>).</summary>
public enum ParquetPhysicalType
{
    Boolean = 0,
    Int32 = 1,
    Int64 = 2,
    /// <summary>Deprecated 12-byte timestamps; read as raw 12-byte values.</summary>
    Int96 = 3,
    Float = 4,
    Double = 5,
    ByteArray = 6,
    FixedLenByteArray = 7,
}

/// <summary>Whether a field is required, optional (nullable) or repeated.</summary>
public enum ParquetRepetition
{
    Required = 0,
    Optional = 1,
    Repeated = 2,
}

/// <summary>Page compression (parquet.thrift <c>CompressionCodec</c>). This library reads and writes Uncompressed, Snappy, Gzip and Zstd.</summary>
public enum ParquetCompressionCodec
{
    Uncompressed = 0,
    Snappy = 1,
    Gzip = 2,
    Lzo = 3,
    Brotli = 4,
    Lz4 = 5,
    Zstd = 6,
    Lz4Raw = 7,
}

/// <summary>Value and level encodings (parquet.thrift <c>Encoding</c>).</summary>
public enum ParquetEncoding
{
    Plain = 0,
    PlainDictionary = 2,
    Rle = 3,
    BitPacked = 4,
    DeltaBinaryPacked = 5,
    DeltaLengthByteArray = 6,
    DeltaByteArray = 7,
    RleDictionary = 8,
    ByteStreamSplit = 9,
}

/// <summary>The deprecated annotation that older readers still rely on (parquet.thrift <c>ConvertedType</c>).</summary>
public enum ParquetConvertedType
{
    Utf8 = 0,
    Map = 1,
    MapKeyValue = 2,
    List = 3,
    Enum = 4,
    Decimal = 5,
    Date = 6,
    TimeMillis = 7,
    TimeMicros = 8,
    TimestampMillis = 9,
    TimestampMicros = 10,
    Uint8 = 11,
    Uint16 = 12,
    Uint32 = 13,
    Uint64 = 14,
    Int8 = 15,
    Int16 = 16,
    Int32 = 17,
    Int64 = 18,
    Json = 19,
    Bson = 20,
    Interval = 21,
}

/// <summary>Data page layout the writer uses.</summary>
public enum ParquetDataPageVersion
{
    /// <summary>DataPage (v1): levels and values compressed together; what most writers produce and every reader reads.</summary>
    V1 = 1,
    /// <summary>DataPageV2: levels uncompressed in front of the (compressed) values, pages start at row boundaries.</summary>
    V2 = 2,
}

internal enum PageType
{
    DataPage = 0,
    IndexPage = 1,
    DictionaryPage = 2,
    DataPageV2 = 3,
}
