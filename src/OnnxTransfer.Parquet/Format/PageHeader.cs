using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Format;

/// <summary>The header in front of every page (parquet.thrift <c>PageHeader</c> and its per-kind headers).</summary>
internal sealed class PageHeader
{
    public PageType Type;
    public int UncompressedPageSize;
    public int CompressedPageSize;
    public int? Crc;
    public DataPageHeader? DataPage;
    public DictionaryPageHeader? DictionaryPage;
    public DataPageHeaderV2? DataPageV2;

    public static PageHeader Read(ref CompactProtocolReader reader)
    {
        var header = new PageHeader();
        bool hasType = false, hasUncompressed = false, hasCompressed = false;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: header.Type = (PageType)reader.ReadI32(); hasType = true; break;
                case 2 when type == CompactType.I32: header.UncompressedPageSize = reader.ReadI32(); hasUncompressed = true; break;
                case 3 when type == CompactType.I32: header.CompressedPageSize = reader.ReadI32(); hasCompressed = true; break;
                case 4 when type == CompactType.I32: header.Crc = reader.ReadI32(); break;
                case 5 when type == CompactType.Struct: header.DataPage = DataPageHeader.Read(ref reader); break;
                case 7 when type == CompactType.Struct: header.DictionaryPage = DictionaryPageHeader.Read(ref reader); break;
                case 8 when type == CompactType.Struct: header.DataPageV2 = DataPageHeaderV2.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (!hasType || !hasUncompressed || !hasCompressed)
            throw new CorruptDataException("a page header lacks its type or sizes");
        if (header.UncompressedPageSize < 0 || header.CompressedPageSize < 0)
            throw new CorruptDataException($"a page header declares a negative size ({header.CompressedPageSize} compressed, {header.UncompressedPageSize} uncompressed)");
        return header;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        writer.I32Field(1, (int)Type);
        writer.I32Field(2, UncompressedPageSize);
        writer.I32Field(3, CompressedPageSize);
        if (Crc is { } crc) writer.I32Field(4, crc);
        if (DataPage is not null)
        {
            writer.StructField(5);
            DataPage.WriteBody(writer);
        }
        if (DictionaryPage is not null)
        {
            writer.StructField(7);
            DictionaryPage.WriteBody(writer);
        }
        if (DataPageV2 is not null)
        {
            writer.StructField(8);
            DataPageV2.WriteBody(writer);
        }
        writer.EndStruct();
    }
}

internal sealed class DataPageHeader
{
    public int NumValues;
    public ParquetEncoding Encoding;
    public ParquetEncoding DefinitionLevelEncoding;
    public ParquetEncoding RepetitionLevelEncoding;
    public Statistics? Statistics;

    public static DataPageHeader Read(ref CompactProtocolReader reader)
    {
        var header = new DataPageHeader();
        var seen = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: header.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when type == CompactType.I32: header.Encoding = (ParquetEncoding)reader.ReadI32(); seen |= 2; break;
                case 3 when type == CompactType.I32: header.DefinitionLevelEncoding = (ParquetEncoding)reader.ReadI32(); seen |= 4; break;
                case 4 when type == CompactType.I32: header.RepetitionLevelEncoding = (ParquetEncoding)reader.ReadI32(); seen |= 8; break;
                case 5 when type == CompactType.Struct: header.Statistics = Statistics.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (seen != 15) throw new CorruptDataException("a data page header lacks a required field");
        if (header.NumValues < 0) throw new CorruptDataException($"a data page declares {header.NumValues} values");
        return header;
    }

    /// <summary>Writes the fields and the stop byte of a struct the caller has opened.</summary>
    public void WriteBody(CompactProtocolWriter writer)
    {
        writer.I32Field(1, NumValues);
        writer.I32Field(2, (int)Encoding);
        writer.I32Field(3, (int)DefinitionLevelEncoding);
        writer.I32Field(4, (int)RepetitionLevelEncoding);
        if (Statistics is not null)
        {
            writer.FieldHeader(5, CompactType.Struct);
            Statistics.Write(writer);
        }
        writer.EndStruct();
    }
}

internal sealed class DictionaryPageHeader
{
    public int NumValues;
    public ParquetEncoding Encoding;
    public bool? IsSorted;

    public static DictionaryPageHeader Read(ref CompactProtocolReader reader)
    {
        var header = new DictionaryPageHeader();
        var seen = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: header.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when type == CompactType.I32: header.Encoding = (ParquetEncoding)reader.ReadI32(); seen |= 2; break;
                case 3 when CompactProtocolReader.IsBoolean(type): header.IsSorted = CompactProtocolReader.BooleanFieldValue(type); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (seen != 3) throw new CorruptDataException("a dictionary page header lacks a required field");
        if (header.NumValues < 0) throw new CorruptDataException($"a dictionary page declares {header.NumValues} values");
        return header;
    }

    public void WriteBody(CompactProtocolWriter writer)
    {
        writer.I32Field(1, NumValues);
        writer.I32Field(2, (int)Encoding);
        if (IsSorted is { } sorted) writer.BoolField(3, sorted);
        writer.EndStruct();
    }
}

internal sealed class DataPageHeaderV2
{
    public int NumValues;
    public int NumNulls;
    public int NumRows;
    public ParquetEncoding Encoding;
    public int DefinitionLevelsByteLength;
    public int RepetitionLevelsByteLength;
    public bool IsCompressed = true;
    public Statistics? Statistics;

    public static DataPageHeaderV2 Read(ref CompactProtocolReader reader)
    {
        var header = new DataPageHeaderV2();
        var seen = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: header.NumValues = reader.ReadI32(); seen |= 1; break;
                case 2 when type == CompactType.I32: header.NumNulls = reader.ReadI32(); seen |= 2; break;
                case 3 when type == CompactType.I32: header.NumRows = reader.ReadI32(); seen |= 4; break;
                case 4 when type == CompactType.I32: header.Encoding = (ParquetEncoding)reader.ReadI32(); seen |= 8; break;
                case 5 when type == CompactType.I32: header.DefinitionLevelsByteLength = reader.ReadI32(); seen |= 16; break;
                case 6 when type == CompactType.I32: header.RepetitionLevelsByteLength = reader.ReadI32(); seen |= 32; break;
                case 7 when CompactProtocolReader.IsBoolean(type): header.IsCompressed = CompactProtocolReader.BooleanFieldValue(type); break;
                case 8 when type == CompactType.Struct: header.Statistics = Statistics.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (seen != 63) throw new CorruptDataException("a data page v2 header lacks a required field");
        if (header.NumValues < 0 || header.NumNulls < 0 || header.NumRows < 0 || header.NumNulls > header.NumValues
            || header.DefinitionLevelsByteLength < 0 || header.RepetitionLevelsByteLength < 0)
            throw new CorruptDataException(
                $"a data page v2 header has inconsistent counts ({header.NumValues} values, {header.NumNulls} nulls, {header.NumRows} rows, " +
                $"level lengths {header.RepetitionLevelsByteLength}/{header.DefinitionLevelsByteLength})");
        return header;
    }

    public void WriteBody(CompactProtocolWriter writer)
    {
        writer.I32Field(1, NumValues);
        writer.I32Field(2, NumNulls);
        writer.I32Field(3, NumRows);
        writer.I32Field(4, (int)Encoding);
        writer.I32Field(5, DefinitionLevelsByteLength);
        writer.I32Field(6, RepetitionLevelsByteLength);
        writer.BoolField(7, IsCompressed);
        if (Statistics is not null)
        {
            writer.FieldHeader(8, CompactType.Struct);
            Statistics.Write(writer);
        }
        writer.EndStruct();
    }
}
