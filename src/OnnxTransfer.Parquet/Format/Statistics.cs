using OnnxTransfer.Parquet.Thrift;

namespace OnnxTransfer.Parquet.Format;

/// <summary>Column chunk or page statistics (parquet.thrift <c>Statistics</c>); min/max are PLAIN-encoded values.</summary>
internal sealed class Statistics
{
    public byte[]? Max;
    public byte[]? Min;
    public long? NullCount;
    public long? DistinctCount;
    public byte[]? MaxValue;
    public byte[]? MinValue;
    public bool? IsMaxValueExact;
    public bool? IsMinValueExact;
    public long? NanCount;

    public static Statistics Read(ref CompactProtocolReader reader)
    {
        var statistics = new Statistics();
        var outer = reader.BeginStruct();
        while (reader.ReadFieldHeader(out var type, out var id))
        {
            switch (id)
            {
                case 1 when type == CompactType.Binary: statistics.Max = reader.ReadBinaryCopy(); break;
                case 2 when type == CompactType.Binary: statistics.Min = reader.ReadBinaryCopy(); break;
                case 3 when type == CompactType.I64: statistics.NullCount = reader.ReadI64(); break;
                case 4 when type == CompactType.I64: statistics.DistinctCount = reader.ReadI64(); break;
                case 5 when type == CompactType.Binary: statistics.MaxValue = reader.ReadBinaryCopy(); break;
                case 6 when type == CompactType.Binary: statistics.MinValue = reader.ReadBinaryCopy(); break;
                case 7 when CompactProtocolReader.IsBoolean(type): statistics.IsMaxValueExact = CompactProtocolReader.BooleanFieldValue(type); break;
                case 8 when CompactProtocolReader.IsBoolean(type): statistics.IsMinValueExact = CompactProtocolReader.BooleanFieldValue(type); break;
                case 9 when type == CompactType.I64: statistics.NanCount = reader.ReadI64(); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct(outer);
        return statistics;
    }

    public void Write(CompactProtocolWriter writer)
    {
        writer.BeginStruct();
        if (Max is not null) writer.BinaryField(1, Max);
        if (Min is not null) writer.BinaryField(2, Min);
        if (NullCount is { } nulls) writer.I64Field(3, nulls);
        if (DistinctCount is { } distinct) writer.I64Field(4, distinct);
        if (MaxValue is not null) writer.BinaryField(5, MaxValue);
        if (MinValue is not null) writer.BinaryField(6, MinValue);
        if (IsMaxValueExact is { } maxExact) writer.BoolField(7, maxExact);
        if (IsMinValueExact is { } minExact) writer.BoolField(8, minExact);
        if (NanCount is { } nans) writer.I64Field(9, nans);
        writer.EndStruct();
    }
}
