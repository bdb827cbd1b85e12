using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Format;

/// <summary>Where one column's data for one row group lies (parquet.thrift <c>ColumnChunk</c>).</summary>
internal sealed class ColumnChunk
{
    public string? FilePath;
    public long FileOffset;
    public ColumnMetaData? MetaData;
    public bool IsEncrypted;

    public static ColumnChunk Read(ref CompactProtocolReader reader)
    {
        var chunk = new ColumnChunk();
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.Binary: chunk.FilePath = reader.ReadString(); break;
                case 2 when type == CompactType.I64: chunk.FileOffset = reader.ReadI64(); break;
                case 3 when type == CompactType.Struct: chunk.MetaData = ColumnMetaData.Read(ref reader); break;
                case 8 or 9: chunk.IsEncrypted = true; reader.Skip(type); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        return chunk;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        writer.I64Field(2, FileOffset);
        if (MetaData is not null)
        {
            writer.FieldHeader(3, CompactType.Struct);
            MetaData.Write(writer);
        }
        writer.EndStruct();
    }
}

/// <summary>Column chunk metadata (parquet.thrift <c>ColumnMetaData</c>).</summary>
internal sealed class ColumnMetaData
{
    public ParquetPhysicalType Type;
    public List<ParquetEncoding> Encodings = [];
    public List<string> PathInSchema = [];
    public ParquetCompressionCodec Codec;
    public long NumValues;
    public long TotalUncompressedSize;
    public long TotalCompressedSize;
    public List<KeyValuePair<string, string?>>? KeyValueMetadata;
    public long DataPageOffset;
    public long? IndexPageOffset;
    public long? DictionaryPageOffset;
    public Statistics? Statistics;
    public List<(PageType PageType, ParquetEncoding Encoding, int Count)>? EncodingStats;

    public static ColumnMetaData Read(ref CompactProtocolReader reader)
    {
        var meta = new ColumnMetaData();
        var seen = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: meta.Type = (ParquetPhysicalType)reader.ReadI32(); seen |= 1; break;
                case 2 when type == CompactType.List:
                {
                    var count = reader.ReadListHeader(out var elementType);
                    if (elementType != CompactType.I32) throw new CorruptDataException("column encodings are not a list of i32");
                    for (var i = 0; i < count; i++) meta.Encodings.Add((ParquetEncoding)reader.ReadI32());
                    seen |= 2;
                    break;
                }
                case 3 when type == CompactType.List:
                {
                    var count = reader.ReadListHeader(out var elementType);
                    if (elementType != CompactType.Binary) throw new CorruptDataException("column path_in_schema is not a list of strings");
                    for (var i = 0; i < count; i++) meta.PathInSchema.Add(reader.ReadString());
                    seen |= 4;
                    break;
                }
                case 4 when type == CompactType.I32: meta.Codec = (ParquetCompressionCodec)reader.ReadI32(); seen |= 8; break;
                case 5 when type == CompactType.I64: meta.NumValues = reader.ReadI64(); seen |= 16; break;
                case 6 when type == CompactType.I64: meta.TotalUncompressedSize = reader.ReadI64(); seen |= 32; break;
                case 7 when type == CompactType.I64: meta.TotalCompressedSize = reader.ReadI64(); seen |= 64; break;
                case 8 when type == CompactType.List: meta.KeyValueMetadata = KeyValueList.Read(ref reader); break;
                case 9 when type == CompactType.I64: meta.DataPageOffset = reader.ReadI64(); seen |= 128; break;
                case 10 when type == CompactType.I64: meta.IndexPageOffset = reader.ReadI64(); break;
                case 11 when type == CompactType.I64: meta.DictionaryPageOffset = reader.ReadI64(); break;
                case 12 when type == CompactType.Struct: meta.Statistics = Statistics.Read(ref reader); break;
                case 13 when type == CompactType.List: meta.EncodingStats = ReadEncodingStats(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (seen != 255) throw new CorruptDataException("column metadata lacks a required field");
        return meta;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        writer.I32Field(1, (int)Type);
        writer.ListField(2, CompactType.I32, Encodings.Count);
        foreach (var encoding in Encodings) writer.WriteZigZag((int)encoding);
        writer.ListField(3, CompactType.Binary, PathInSchema.Count);
        foreach (var part in PathInSchema) writer.WriteString(part);
        writer.I32Field(4, (int)Codec);
        writer.I64Field(5, NumValues);
        writer.I64Field(6, TotalUncompressedSize);
        writer.I64Field(7, TotalCompressedSize);
        if (KeyValueMetadata is { Count: > 0 })
        {
            writer.FieldHeader(8, CompactType.List);
            KeyValueList.Write(writer, KeyValueMetadata);
        }
        writer.I64Field(9, DataPageOffset);
        if (IndexPageOffset is { } index) writer.I64Field(10, index);
        if (DictionaryPageOffset is { } dictionary) writer.I64Field(11, dictionary);
        if (Statistics is not null)
        {
            writer.FieldHeader(12, CompactType.Struct);
            Statistics.Write(writer);
        }
        if (EncodingStats is { Count: > 0 })
        {
            writer.ListField(13, CompactType.Struct, EncodingStats.Count);
            foreach (var (pageType, encoding, count) in EncodingStats)
            {
                writer.BeginStruct();
                writer.I32Field(1, (int)pageType);
                writer.I32Field(2, (int)encoding);
                writer.I32Field(3, count);
                writer.EndStruct();
            }
        }
        writer.EndStruct();
    }

    private static List<(PageType, ParquetEncoding, int)> ReadEncodingStats(ref CompactProtocolReader reader)
    {
        var count = reader.ReadListHeader(out var elementType);
        if (elementType != CompactType.Struct) throw new CorruptDataException("column encoding_stats is not a list of structs");
        var list = new List<(PageType, ParquetEncoding, int)>(count);
        for (var i = 0; i < count; i++)
        {
            PageType pageType = default;
            ParquetEncoding encoding = default;
            var pages = 0;
            var outer = reader.BeginStruct();
            while (reader.ReadFieldHeader(out var type, out var id))
            {
                switch (id)
                {
                    case 1 when type == CompactType.I32: pageType = (PageType)reader.ReadI32(); break;
                    case 2 when type == CompactType.I32: encoding = (ParquetEncoding)reader.ReadI32(); break;
                    case 3 when type == CompactType.I32: pages = reader.ReadI32(); break;
                    default: reader.Skip(type); break;
                }
            }
            reader.EndStruct(outer);
            list.Add((pageType, encoding, pages));
        }
        return list;
    }
}

/// <summary>Reads and writes <c>list&lt;KeyValue&gt;</c>, keeping the file's order (keys may repeat).</summary>
internal static class KeyValueList
{
    public static List<KeyValuePair<string, string?>> Read(ref CompactProtocolReader reader)
    {
        var count = reader.ReadListHeader(out var elementType);
        if (elementType != CompactType.Struct) throw new CorruptDataException("key-value metadata is not a list of structs");
        var list = new List<KeyValuePair<string, string?>>(count);
        for (var i = 0; i < count; i++)
        {
            string? key = null, value = null;
            var outer = reader.BeginStruct();
            while (reader.ReadFieldHeader(out var type, out var id))
            {
                if (id == 1 && type == CompactType.Binary) key = reader.ReadString();
                else if (id == 2 && type == CompactType.Binary) value = reader.ReadString();
                else reader.Skip(type);
            }
            reader.EndStruct(outer);
            list.Add(new KeyValuePair<string, string?>(key ?? throw new CorruptDataException("a key-value metadata entry has no key"), value));
        }
        return list;
    }

    public static void Write(CompactProtocolWriter writer, IReadOnlyList<KeyValuePair<string, string?>> entries)
    {
        writer.ListHeader(CompactType.Struct, entries.Count);
        foreach (var (key, value) in entries)
        {
            writer.BeginStruct();
            writer.StringField(1, key);
            if (value is not null) writer.StringField(2, value);
            writer.EndStruct();
        }
    }
}
