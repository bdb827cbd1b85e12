using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Format;

/// <summary>The footer (parquet.thrift <c>FileMetaData</c>).</summary>
internal sealed class FileMetaData
{
    public int Version;
    public List<SchemaElement> Schema = [];
    public long NumRows;
    public List<RowGroup> RowGroups = [];
    public List<KeyValuePair<string, string?>>? KeyValueMetadata;
    public string? CreatedBy;
    /// <summary>Number of ColumnOrder entries, each TYPE_ORDER when written by us (readers only need to know they exist).</summary>
    public int ColumnOrderCount;
    public bool HasEncryptionAlgorithm;

    public static FileMetaData Read(ReadOnlySpan<byte> footer)
    {
        var reader = new CompactProtocolReader(footer);
        var meta = new FileMetaData();
        var seen = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: meta.Version = reader.ReadI32(); seen |= 1; break;
                case 2 when type == CompactType.List:
                {
                    var count = reader.ReadListHeader(out var elementType);
                    if (elementType != CompactType.Struct) throw new CorruptDataException("the schema is not a list of structs");
                    meta.Schema.Capacity = count;
                    for (var i = 0; i < count; i++) meta.Schema.Add(SchemaElement.Read(ref reader));
                    seen |= 2;
                    break;
                }
                case 3 when type == CompactType.I64: meta.NumRows = reader.ReadI64(); seen |= 4; break;
                case 4 when type == CompactType.List:
                {
                    var count = reader.ReadListHeader(out var elementType);
                    if (elementType != CompactType.Struct) throw new CorruptDataException("row_groups is not a list of structs");
                    meta.RowGroups.Capacity = count;
                    for (var i = 0; i < count; i++) meta.RowGroups.Add(RowGroup.Read(ref reader));
                    seen |= 8;
                    break;
                }
                case 5 when type == CompactType.List: meta.KeyValueMetadata = KeyValueList.Read(ref reader); break;
                case 6 when type == CompactType.Binary: meta.CreatedBy = reader.ReadString(); break;
                case 7 when type == CompactType.List:
                {
                    var count = reader.ReadListHeader(out var elementType);
                    for (var i = 0; i < count; i++) reader.Skip(elementType);
                    meta.ColumnOrderCount = count;
                    break;
                }
                case 8: meta.HasEncryptionAlgorithm = true; reader.Skip(type); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (seen != 15) throw new CorruptDataException("the footer lacks its version, schema, row count or row groups");
        return meta;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        writer.I32Field(1, Version);
        writer.ListField(2, CompactType.Struct, Schema.Count);
        foreach (var element in Schema) element.Write(writer);
        writer.I64Field(3, NumRows);
        writer.ListField(4, CompactType.Struct, RowGroups.Count);
        foreach (var group in RowGroups) group.Write(writer);
        if (KeyValueMetadata is { Count: > 0 })
        {
            writer.FieldHeader(5, CompactType.List);
            KeyValueList.Write(writer, KeyValueMetadata);
        }
        if (CreatedBy is not null) writer.StringField(6, CreatedBy);
        if (ColumnOrderCount > 0)
        {
            // TYPE_ORDER for every leaf: min_value/max_value follow the order of the column's (logical) type.
            writer.ListField(7, CompactType.Struct, ColumnOrderCount);
            for (var i = 0; i < ColumnOrderCount; i++)
            {
                writer.BeginStruct();
                writer.EmptyStructField(1);
                writer.EndStruct();
            }
        }
        writer.EndStruct();
    }
}
