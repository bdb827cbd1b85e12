using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet;

/// <summary>The kinds of the parquet.thrift <c>LogicalType</c> union (numbered by their field ids).</summary>
public enum ParquetLogicalTypeKind
{
    String = 1,
    Map = 2,
    List = 3,
    Enum = 4,
    Decimal = 5,
    Date = 6,
    Time = 7,
    Timestamp = 8,
    Integer = 10,
    Unknown = 11,
    Json = 12,
    Bson = 13,
    Uuid = 14,
    Float16 = 15,
    Variant = 16,
    Geometry = 17,
    Geography = 18,
    Vector = 19,
}

/// <summary>A logical type annotation as written in the schema, with the parameters the kinds carry.</summary>
public sealed record ParquetLogicalType(ParquetLogicalTypeKind Kind)
{
    public static readonly ParquetLogicalType String = new(ParquetLogicalTypeKind.String);
    public static readonly ParquetLogicalType List = new(ParquetLogicalTypeKind.List);

    /// <summary>DECIMAL scale and precision.</summary>
    public int Scale { get; init; }
    public int Precision { get; init; }

    /// <summary>INTEGER bit width (8, 16, 32, 64) and signedness.</summary>
    public int BitWidth { get; init; }
    public bool IsSigned { get; init; }

    /// <summary>TIME/TIMESTAMP: adjusted to UTC, and the unit ("MILLIS", "MICROS", "NANOS").</summary>
    public bool IsAdjustedToUtc { get; init; }
    public string? Unit { get; init; }

    public override string ToString() => Kind switch
    {
        ParquetLogicalTypeKind.Decimal => $"DECIMAL({Precision},{Scale})",
        ParquetLogicalTypeKind.Integer => $"INTEGER({BitWidth},{(IsSigned ? "signed" : "unsigned")})",
        ParquetLogicalTypeKind.Time or ParquetLogicalTypeKind.Timestamp =>
            $"{Kind.ToString().ToUpperInvariant()}({Unit},{(IsAdjustedToUtc ? "utc" : "local")})",
        _ => Kind.ToString().ToUpperInvariant(),
    };

    internal static ParquetLogicalType? Read(ref CompactProtocolReader reader)
    {
        ParquetLogicalType? result = null;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            if (type != CompactType.Struct || !Enum.IsDefined((ParquetLogicalTypeKind)id))
            {
                reader.Skip(type);
                continue;
            }
            var kind = (ParquetLogicalTypeKind)id;
            result = kind switch
            {
                ParquetLogicalTypeKind.Decimal => ReadDecimal(ref reader),
                ParquetLogicalTypeKind.Integer => ReadInteger(ref reader),
                ParquetLogicalTypeKind.Time or ParquetLogicalTypeKind.Timestamp => ReadTime(ref reader, kind),
                _ => SkipBody(ref reader, kind),
            };
        }
        reader.EndStruct(outer);
        return result;
    }

    internal void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        writer.StructField((short)Kind);
        switch (Kind)
        {
            case ParquetLogicalTypeKind.Decimal:
                writer.I32Field(1, Scale);
                writer.I32Field(2, Precision);
                break;
            case ParquetLogicalTypeKind.Integer:
                writer.FieldHeader(1, CompactType.Byte);
                writer.WriteByte((byte)(sbyte)BitWidth);
                writer.BoolField(2, IsSigned);
                break;
            case ParquetLogicalTypeKind.Time or ParquetLogicalTypeKind.Timestamp:
                writer.BoolField(1, IsAdjustedToUtc);
                writer.StructField(2);
                writer.EmptyStructField(Unit switch { "MILLIS" => 1, "NANOS" => 3, _ => 2 });
                writer.EndStruct();
                break;
        }
        writer.EndStruct();
        writer.EndStruct();
    }

    private static ParquetLogicalType SkipBody(ref CompactProtocolReader reader, ParquetLogicalTypeKind kind)
    {
        reader.Skip(CompactType.Struct);
        return new ParquetLogicalType(kind);
    }

    private static ParquetLogicalType ReadDecimal(ref CompactProtocolReader reader)
    {
        int scale = 0, precision = 0;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            if (id == 1 && type == CompactType.I32) scale = reader.ReadI32();
            else if (id == 2 && type == CompactType.I32) precision = reader.ReadI32();
            else reader.Skip(type);
        }
        reader.EndStruct(outer);
        return new ParquetLogicalType(ParquetLogicalTypeKind.Decimal) { Scale = scale, Precision = precision };
    }

    private static ParquetLogicalType ReadInteger(ref CompactProtocolReader reader)
    {
        int bitWidth = 0;
        var signed = false;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            if (id == 1 && type == CompactType.Byte) bitWidth = reader.ReadI8();
            else if (id == 2 && CompactProtocolReader.IsBoolean(type)) signed = CompactProtocolReader.BooleanFieldValue(type);
            else reader.Skip(type);
        }
        reader.EndStruct(outer);
        return new ParquetLogicalType(ParquetLogicalTypeKind.Integer) { BitWidth = bitWidth, IsSigned = signed };
    }

    private static ParquetLogicalType ReadTime(ref CompactProtocolReader reader, ParquetLogicalTypeKind kind)
    {
        var utc = false;
        string? unit = null;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            if (id == 1 && CompactProtocolReader.IsBoolean(type)) utc = CompactProtocolReader.BooleanFieldValue(type);
            else if (id == 2 && type == CompactType.Struct) unit = ReadTimeUnit(ref reader);
            else reader.Skip(type);
        }
        reader.EndStruct(outer);
        return new ParquetLogicalType(kind) { IsAdjustedToUtc = utc, Unit = unit };
    }

    private static string? ReadTimeUnit(ref CompactProtocolReader reader)
    {
        string? unit = null;
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            unit = id switch { 1 => "MILLIS", 2 => "MICROS", 3 => "NANOS", _ => unit };
            reader.Skip(type);
        }
        reader.EndStruct(outer);
        return unit;
    }
}
