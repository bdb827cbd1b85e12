using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>The compact protocol: round trips, unknown fields skipped, forged sizes and nesting refused.</summary>
public class ThriftTests
{
    [Test]
    public void FooterRoundTripsThroughTheCompactProtocol()
    {
        var metadata = new FileMetaData
        {
            Version = 1,
            NumRows = 3,
            CreatedBy = "test",
            Schema =
            [
                new SchemaElement { Name = "schema", NumChildren = 1 },
                new SchemaElement { Name = "s", Type = ParquetPhysicalType.ByteArray, Repetition = ParquetRepetition.Optional, ConvertedType = ParquetConvertedType.Utf8, LogicalType = ParquetLogicalType.String },
            ],
            RowGroups =
            [
                new RowGroup
                {
                    NumRows = 3, TotalByteSize = 100, Ordinal = 0,
                    Columns = [new ColumnChunk { MetaData = new ColumnMetaData
                    {
                        Type = ParquetPhysicalType.ByteArray, PathInSchema = ["s"], Codec = ParquetCompressionCodec.Zstd,
                        Encodings = [ParquetEncoding.Plain, ParquetEncoding.Rle], NumValues = 3, TotalCompressedSize = 50, TotalUncompressedSize = 60,
                        DataPageOffset = 4, Statistics = new Statistics { NullCount = 1, MinValue = "a"u8.ToArray(), MaxValue = "z"u8.ToArray() },
                    } }],
                },
            ],
            KeyValueMetadata = [new("k", "v"), new("empty", null)],
            ColumnOrderCount = 1,
        };
        var writer = new CompactProtocolWriter();
        metadata.Write(writer);
        var back = FileMetaData.Read(writer.Written);
        Assert.That(back.NumRows, Is.EqualTo(3));
        Assert.That(back.CreatedBy, Is.EqualTo("test"));
        Assert.That(back.Schema[1].LogicalType, Is.EqualTo(ParquetLogicalType.String));
        Assert.That(back.Schema[1].ConvertedType, Is.EqualTo(ParquetConvertedType.Utf8));
        Assert.That(back.RowGroups[0].Columns[0].MetaData!.Codec, Is.EqualTo(ParquetCompressionCodec.Zstd));
        Assert.That(back.RowGroups[0].Columns[0].MetaData!.Statistics!.MaxValue, Is.EqualTo("z"u8.ToArray()));
        Assert.That(back.KeyValueMetadata, Is.EqualTo(metadata.KeyValueMetadata));
        Assert.That(back.ColumnOrderCount, Is.EqualTo(1));
    }

    [Test]
    public void UnknownFieldsOfEveryTypeAreSkipped()
    {
        var writer = new CompactProtocolWriter();
        writer.BeginStruct();
        writer.I32Field(1, 42);                        // num_values
        writer.I64Field(50, long.MinValue);           // unknown fields from a newer writer...
        writer.BoolField(51, true);
        writer.StringField(52, "future");
        writer.FieldHeader(53, CompactType.Double);
        writer.WriteDouble(1.5);
        writer.ListField(54, CompactType.Struct, 2);
        writer.BeginStruct(); writer.I32Field(1, 1); writer.EndStruct();
        writer.BeginStruct(); writer.EndStruct();
        writer.FieldHeader(55, CompactType.Map);
        writer.WriteByte(1);                          // one entry
        writer.WriteByte((byte)(((int)CompactType.Binary << 4) | (int)CompactType.I32));
        writer.WriteString("key");
        writer.WriteZigZag(7);
        writer.I32Field(2, (int)ParquetEncoding.Plain); // ...between known ones
        writer.EndStruct();
        var reader = new CompactProtocolReader(writer.Written);
        var header = DictionaryPageHeader.Read(ref reader);
        Assert.That(header.NumValues, Is.EqualTo(42));
        Assert.That(header.Encoding, Is.EqualTo(ParquetEncoding.Plain));
        Assert.That(reader.Remaining, Is.Zero);
    }

    [Test]
    public void ForgedListSizeIsRefusedBeforeAllocating()
    {
        // A footer claiming a schema list of 2^31-1 elements in a few bytes.
        var writer = new CompactProtocolWriter();
        writer.BeginStruct();
        writer.I32Field(1, 1);
        writer.FieldHeader(2, CompactType.List);
        writer.WriteByte(0xF0 | (byte)CompactType.Struct);
        foreach (var b in new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }) writer.WriteByte(b);
        var error = Assert.Throws<CorruptDataException>(() => FileMetaData.Read(writer.Written));
        Assert.That(error!.Message, Does.Contain("2147483647 elements"));
    }

    [Test]
    public void DeepNestingIsRefused()
    {
        var writer = new CompactProtocolWriter();
        writer.BeginStruct();
        for (var i = 0; i < 200; i++) writer.StructField(99);
        var bytes = writer.Written.ToArray();
        var error = Assert.Throws<CorruptDataException>(() =>
        {
            var reader = new CompactProtocolReader(bytes);
            DictionaryPageHeader.Read(ref reader);
        });
        Assert.That(error!.Message, Does.Contain("deeper"));
    }
}
