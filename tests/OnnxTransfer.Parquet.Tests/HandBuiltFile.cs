using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// Builds a one-column, one-row-group file page by page from the format's parts, for page layouts no available writer
/// produces (dictionary-to-PLAIN fallback inside a chunk, list rows spanning v1 pages).
/// </summary>
internal sealed class HandBuiltFile
{
    private readonly ByteBuffer _file = new();
    private long? _dictionaryOffset;
    private long? _dataOffset;
    private long _values;

    public HandBuiltFile() => _file.Write("PAR1"u8);

    public void DictionaryPage(ReadOnlySpan<byte> plainEntries, int count)
    {
        _dictionaryOffset = _file.Length;
        WritePage(new PageHeader
        {
            Type = PageType.DictionaryPage, UncompressedPageSize = plainEntries.Length, CompressedPageSize = plainEntries.Length,
            DictionaryPage = new DictionaryPageHeader { NumValues = count, Encoding = ParquetEncoding.PlainDictionary },
        }, plainEntries);
    }

    /// <summary>A v1 data page: RLE levels (each behind its 4-byte length) and the encoded values.</summary>
    public void DataPageV1(int[]? repetition, int[]? definition, int maxDefinition, ParquetEncoding encoding, ReadOnlySpan<byte> values, int entries)
    {
        _dataOffset ??= _file.Length;
        var body = new ByteBuffer();
        if (repetition is not null) Levels(body, repetition, 1);
        if (definition is not null) Levels(body, definition, maxDefinition);
        body.Write(values);
        WritePage(new PageHeader
        {
            Type = PageType.DataPage, UncompressedPageSize = body.Length, CompressedPageSize = body.Length,
            DataPage = new DataPageHeader { NumValues = entries, Encoding = encoding, DefinitionLevelEncoding = ParquetEncoding.Rle, RepetitionLevelEncoding = ParquetEncoding.Rle },
        }, body.WrittenSpan);
        _values += entries;
    }

    /// <summary>Writes the footer for <paramref name="schema"/> (root first) and the file.</summary>
    public void Save(string path, List<SchemaElement> schema, ParquetPhysicalType type, List<string> columnPath, long rows)
    {
        var chunkStart = _dictionaryOffset ?? _dataOffset!.Value;
        var chunkLength = _file.Length - chunkStart;
        var metadata = new FileMetaData
        {
            Version = 1, NumRows = rows, CreatedBy = "hand-built", Schema = schema,
            RowGroups = [new RowGroup
            {
                NumRows = rows, TotalByteSize = chunkLength,
                Columns = [new ColumnChunk { MetaData = new ColumnMetaData
                {
                    Type = type, PathInSchema = columnPath, Codec = ParquetCompressionCodec.Uncompressed,
                    Encodings = [ParquetEncoding.Plain, ParquetEncoding.Rle], NumValues = _values,
                    TotalCompressedSize = chunkLength, TotalUncompressedSize = chunkLength,
                    DictionaryPageOffset = _dictionaryOffset, DataPageOffset = _dataOffset!.Value,
                } }],
            }],
        };
        var footer = new CompactProtocolWriter();
        metadata.Write(footer);
        _file.Write(footer.Written);
        _file.WriteInt32(footer.Length);
        _file.Write("PAR1"u8);
        File.WriteAllBytes(path, _file.WrittenSpan.ToArray());
    }

    private static void Levels(ByteBuffer body, int[] levels, int maxLevel)
    {
        var lengthAt = body.Length;
        body.Reserve(4);
        var encoder = new RleBitPackedHybridEncoder(body, BitPacking.BitWidthOf(maxLevel));
        encoder.Write(levels);
        encoder.Finish();
        body.PatchInt32(lengthAt, body.Length - lengthAt - 4);
    }

    private void WritePage(PageHeader header, ReadOnlySpan<byte> body)
    {
        var writer = new CompactProtocolWriter();
        header.Write(writer);
        _file.Write(writer.Written);
        _file.Write(body);
    }
}
