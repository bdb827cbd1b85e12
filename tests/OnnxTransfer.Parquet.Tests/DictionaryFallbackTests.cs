using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// pyarrow (and parquet-mr) start a column chunk dictionary-encoded and fall back to PLAIN pages when the dictionary
/// grows too large, so one chunk holds a dictionary page, RLE_DICTIONARY pages and PLAIN pages. No writer available
/// here does that, so this test builds such a file page by page from the format's parts.
/// </summary>
public class DictionaryFallbackTests
{
    [Test]
    public void AChunkThatFallsBackFromDictionaryToPlainReadsInOrder()
    {
        using var temp = new TempDirectory("parquet-fallback");
        var path = temp.File("fallback.parquet");
        var file = new ByteBuffer();
        file.Write("PAR1"u8);
        var chunkStart = file.Length;

        // Dictionary page: PLAIN entries 0.5, 1.5.
        var dictionary = new ByteBuffer();
        dictionary.WriteValues<float>([0.5f, 1.5f]);
        WritePage(file, new PageHeader
        {
            Type = PageType.DictionaryPage, UncompressedPageSize = dictionary.Length, CompressedPageSize = dictionary.Length,
            DictionaryPage = new DictionaryPageHeader { NumValues = 2, Encoding = ParquetEncoding.PlainDictionary },
        }, dictionary.WrittenSpan);

        // Data page 1 (v1): 6 required values as dictionary indices 0,1,1,0,1,1 (bit width 1).
        var indices = new ByteBuffer();
        indices.WriteByte(1);
        var encoder = new RleBitPackedHybridEncoder(indices, 1);
        encoder.Write([0, 1, 1, 0, 1, 1]);
        encoder.Finish();
        var dataPageOffset = file.Length;
        WritePage(file, DataPage(6, ParquetEncoding.PlainDictionary, indices.Length), indices.WrittenSpan);

        // Data page 2 (v1): the fallback, 3 PLAIN values.
        var plain = new ByteBuffer();
        plain.WriteValues<float>([7f, 8f, 9f]);
        WritePage(file, DataPage(3, ParquetEncoding.Plain, plain.Length), plain.WrittenSpan);
        var chunkLength = file.Length - chunkStart;

        var metadata = new FileMetaData
        {
            Version = 1, NumRows = 9, CreatedBy = "hand-built",
            Schema = [new SchemaElement { Name = "schema", NumChildren = 1 }, new SchemaElement { Name = "f", Type = ParquetPhysicalType.Float, Repetition = ParquetRepetition.Required }],
            RowGroups = [new RowGroup
            {
                NumRows = 9, TotalByteSize = chunkLength,
                Columns = [new ColumnChunk { MetaData = new ColumnMetaData
                {
                    Type = ParquetPhysicalType.Float, PathInSchema = ["f"], Codec = ParquetCompressionCodec.Uncompressed,
                    Encodings = [ParquetEncoding.PlainDictionary, ParquetEncoding.Plain], NumValues = 9,
                    TotalCompressedSize = chunkLength, TotalUncompressedSize = chunkLength,
                    DictionaryPageOffset = chunkStart, DataPageOffset = dataPageOffset,
                } }],
            }],
        };
        var footer = new CompactProtocolWriter();
        metadata.Write(footer);
        file.Write(footer.Written);
        file.WriteInt32(footer.Length);
        file.Write("PAR1"u8);
        File.WriteAllBytes(path, file.WrittenSpan.ToArray());

        using var reader = ParquetFileReader.Open(path);
        float[] expected = [0.5f, 1.5f, 1.5f, 0.5f, 1.5f, 1.5f, 7f, 8f, 9f];
        Assert.That(reader.OpenRowGroup(0).ReadValues<float>("f"), Is.EqualTo(expected));
        var duck = DuckDb.Query($"SELECT f FROM read_parquet({DuckDb.Literal(path)})");
        Assert.That(duck.Rows.Select(r => (float)r.GetProperty("f").GetDouble()), Is.EqualTo(expected));
    }

    private static PageHeader DataPage(int values, ParquetEncoding encoding, int size) => new()
    {
        Type = PageType.DataPage, UncompressedPageSize = size, CompressedPageSize = size,
        DataPage = new DataPageHeader { NumValues = values, Encoding = encoding, DefinitionLevelEncoding = ParquetEncoding.Rle, RepetitionLevelEncoding = ParquetEncoding.Rle },
    };

    private static void WritePage(ByteBuffer file, PageHeader header, ReadOnlySpan<byte> body)
    {
        var writer = new CompactProtocolWriter();
        header.Write(writer);
        file.Write(writer.Written);
        file.Write(body);
    }
}
