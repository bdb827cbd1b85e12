namespace OnnxTransfer.Parquet.Writing;

/// <summary>Picks the <see cref="ValueWriter{T}"/> for a field, refusing a CLR type that does not match its physical type.</summary>
internal static class ValueWriters
{
    public static ValueWriter<T> For<T>(ParquetPrimitiveField field, string column)
    {
        object? writer = field.PhysicalType switch
        {
            ParquetPhysicalType.Boolean when typeof(T) == typeof(bool) => new BooleanValueWriter(),
            ParquetPhysicalType.Int32 when typeof(T) == typeof(int) => new NumericValueWriter<int>(),
            ParquetPhysicalType.Int64 when typeof(T) == typeof(long) => new NumericValueWriter<long>(),
            ParquetPhysicalType.Float when typeof(T) == typeof(float) => new NumericValueWriter<float>(),
            ParquetPhysicalType.Double when typeof(T) == typeof(double) => new NumericValueWriter<double>(),
            ParquetPhysicalType.ByteArray when field.IsString && typeof(T) == typeof(string) => new StringValueWriter(),
            ParquetPhysicalType.ByteArray when !field.IsString && typeof(T) == typeof(byte[]) => new BinaryValueWriter(0),
            ParquetPhysicalType.FixedLenByteArray when typeof(T) == typeof(byte[]) => new BinaryValueWriter(field.TypeLength),
            _ => null,
        };
        return writer as ValueWriter<T> ?? throw new ArgumentException(
            $"Column '{column}' holds {field.ValueArrayType.GetElementType()!.Name} values ({field}); it cannot be written from {typeof(T).Name}.");
    }
}
