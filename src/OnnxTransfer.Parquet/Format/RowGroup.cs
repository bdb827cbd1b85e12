using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Format;

/// <summary>One row group's column chunks and counts (parquet.thrift <c>RowGroup</c>).</summary>
internal sealed class RowGroup
{
    public List<ColumnChunk> Columns = [];
    public long TotalByteSize;
    public long NumRows;
    public long? FileOffset;
    public long? TotalCompressedSize;
    public short? Ordinal;

    public static RowGroup Read(ref CompactProtocolReader reader)
    {
        var group = new RowGroup();
        var seen = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.List:
                {
                    var count = reader.ReadListHeader(out var elementType);
                    if (elementType != CompactType.Struct) throw new CorruptDataException("row group columns are not a list of structs");
                    group.Columns.Capacity = count;
                    for (var i = 0; i < count; i++) group.Columns.Add(ColumnChunk.Read(ref reader));
                    seen |= 1;
                    break;
                }
                case 2 when type == CompactType.I64: group.TotalByteSize = reader.ReadI64(); seen |= 2; break;
                case 3 when type == CompactType.I64: group.NumRows = reader.ReadI64(); seen |= 4; break;
                case 5 when type == CompactType.I64: group.FileOffset = reader.ReadI64(); break;
                case 6 when type == CompactType.I64: group.TotalCompressedSize = reader.ReadI64(); break;
                case 7 when type == CompactType.I16: group.Ordinal = reader.ReadI16(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (seen != 7) throw new CorruptDataException("a row group lacks its columns, byte size or row count");
        return group;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        writer.ListField(1, CompactType.Struct, Columns.Count);
        foreach (var column in Columns) column.Write(writer);
        writer.I64Field(2, TotalByteSize);
        writer.I64Field(3, NumRows);
        if (FileOffset is { } offset) writer.I64Field(5, offset);
        if (TotalCompressedSize is { } compressed) writer.I64Field(6, compressed);
        if (Ordinal is { } ordinal)
        {
            writer.FieldHeader(7, CompactType.I16);
            writer.WriteZigZag(ordinal);
        }
        writer.EndStruct();
    }
}
