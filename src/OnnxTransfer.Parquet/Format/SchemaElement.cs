using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Format;

/// <summary>One node of the flattened (depth-first) schema in the footer (parquet.thrift <c>SchemaElement</c>).</summary>
internal sealed class SchemaElement
{
    public ParquetPhysicalType? Type;
    public int? TypeLength;
    public ParquetRepetition? Repetition;
    public string Name = "";
    public int? NumChildren;
    public ParquetConvertedType? ConvertedType;
    public int? Scale;
    public int? Precision;
    public int? FieldId;
    public ParquetLogicalType? LogicalType;

    public static SchemaElement Read(ref CompactProtocolReader reader)
    {
        var element = new SchemaElement();
        var hasName = false;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.I32: element.Type = (ParquetPhysicalType)reader.ReadI32(); break;
                case 2 when type == CompactType.I32: element.TypeLength = reader.ReadI32(); break;
                case 3 when type == CompactType.I32: element.Repetition = (ParquetRepetition)reader.ReadI32(); break;
                case 4 when type == CompactType.Binary: element.Name = reader.ReadString(); hasName = true; break;
                case 5 when type == CompactType.I32: element.NumChildren = reader.ReadI32(); break;
                case 6 when type == CompactType.I32: element.ConvertedType = (ParquetConvertedType)reader.ReadI32(); break;
                case 7 when type == CompactType.I32: element.Scale = reader.ReadI32(); break;
                case 8 when type == CompactType.I32: element.Precision = reader.ReadI32(); break;
                case 9 when type == CompactType.I32: element.FieldId = reader.ReadI32(); break;
                case 10 when type == CompactType.Struct: element.LogicalType = ParquetLogicalType.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        if (!hasName) throw new CorruptDataException("a schema element has no name");
        return element;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        if (Type is { } type) writer.I32Field(1, (int)type);
        if (TypeLength is { } length) writer.I32Field(2, length);
        if (Repetition is { } repetition) writer.I32Field(3, (int)repetition);
        writer.StringField(4, Name);
        if (NumChildren is { } children) writer.I32Field(5, children);
        if (ConvertedType is { } converted) writer.I32Field(6, (int)converted);
        if (Scale is { } scale) writer.I32Field(7, scale);
        if (Precision is { } precision) writer.I32Field(8, precision);
        if (FieldId is { } fieldId) writer.I32Field(9, fieldId);
        if (LogicalType is { } logical)
        {
            writer.FieldHeader(10, CompactType.Struct);
            logical.Write(writer);
        }
        writer.EndStruct();
    }
}
