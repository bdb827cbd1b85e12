using System.Text;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>Seeded random columns of every supported type and null pattern, for round trips and interop.</summary>
internal sealed class SampleData(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Words = ["ants", "bees", "Grüße", "🐝 honey", "", "naïve café", "x", "日本語", "tab\tand \"quote\""];

    /// <summary>A field of the given kind with random nullability (or as asked).</summary>
    public ParquetField RandomField(string name, bool? nullable = null) =>
        _random.Next(9) == 8
            ? ParquetField.List(name, RandomPrimitive("element", null), nullable ?? _random.Next(2) == 0)
            : RandomPrimitive(name, nullable);

    public ParquetPrimitiveField RandomPrimitive(string name, bool? nullable)
    {
        var isNullable = nullable ?? _random.Next(2) == 0;
        return _random.Next(8) switch
        {
            0 => ParquetField.Boolean(name, isNullable),
            1 => ParquetField.Int32(name, isNullable),
            2 => ParquetField.Int64(name, isNullable),
            3 => ParquetField.Float(name, isNullable),
            4 => ParquetField.Double(name, isNullable),
            5 => ParquetField.String(name, isNullable),
            6 => ParquetField.Binary(name, isNullable),
            _ => ParquetField.FixedLengthBinary(name, 1 + _random.Next(16), isNullable),
        };
    }

    /// <summary>
    /// Values for <paramref name="field"/>: nulls (where allowed) with probability <paramref name="nullRate"/>; lists
    /// are ragged with empty lists, or all of length <paramref name="fixedLength"/> when it is given.
    /// </summary>
    public ParquetColumnData Column(ParquetField field, int rows, double nullRate = 0.2, int? fixedLength = null, int maxListLength = 6)
    {
        if (field is ParquetListField list)
        {
            var offsets = new int[rows + 1];
            var rowIsNull = list.IsNullable && nullRate > 0 ? new bool[rows] : null;
            for (var r = 0; r < rows; r++)
            {
                var isNull = rowIsNull is not null && fixedLength is null && _random.NextDouble() < nullRate;
                if (isNull) rowIsNull![r] = true;
                var length = isNull ? 0 : fixedLength ?? _random.Next(maxListLength + 1);
                offsets[r + 1] = offsets[r] + length;
            }
            var (values, valueIsNull) = Values(list.Element, offsets[rows], list.Element.IsNullable ? nullRate : 0);
            return new ParquetColumnData(list, values, valueIsNull, offsets, rowIsNull is not null && rowIsNull.Contains(true) ? rowIsNull : null);
        }
        var primitive = (ParquetPrimitiveField)field;
        var (flat, isNullFlags) = Values(primitive, rows, primitive.IsNullable ? nullRate : 0);
        return new ParquetColumnData(field, flat, isNullFlags);
    }

    private (Array Values, bool[]? IsNull) Values(ParquetPrimitiveField field, int count, double nullRate)
    {
        var isNull = new bool[count];
        for (var i = 0; i < count; i++) isNull[i] = nullRate > 0 && _random.NextDouble() < nullRate;
        Array values = field.ValueArrayType switch
        {
            var t when t == typeof(bool[]) => Fill(count, isNull, () => _random.Next(2) == 0),
            var t when t == typeof(int[]) => Fill(count, isNull, () => _random.Next(4) == 0 ? _random.Next(-5, 5) : _random.Next(int.MinValue, int.MaxValue)),
            var t when t == typeof(long[]) => Fill(count, isNull, () => _random.Next(4) == 0 ? long.MinValue + _random.Next(3) : _random.NextInt64(long.MinValue, long.MaxValue)),
            var t when t == typeof(float[]) => Fill(count, isNull, RandomFloat),
            var t when t == typeof(double[]) => Fill(count, isNull, RandomDouble),
            var t when t == typeof(string[]) => Fill<string>(count, isNull, RandomString),
            _ => Fill<byte[]>(count, isNull, () => RandomBytes(field.PhysicalType == ParquetPhysicalType.FixedLenByteArray ? field.TypeLength : _random.Next(12))),
        };
        return (values, isNull.Contains(true) ? isNull : null);
    }

    private T[] Fill<T>(int count, bool[] isNull, Func<T> next)
    {
        var values = new T[count];
        for (var i = 0; i < count; i++) values[i] = isNull[i] ? default! : next();
        return values;
    }

    public float RandomFloat() => _random.Next(10) switch
    {
        0 => 0f,
        1 => -0f,
        2 => float.Epsilon * _random.Next(1, 100),
        3 => float.MaxValue / (1 + _random.Next(3)),
        _ => (float)((_random.NextDouble() - 0.5) * Math.Pow(10, _random.Next(-8, 9))),
    };

    private double RandomDouble() => _random.Next(10) switch
    {
        0 => 0d,
        1 => double.MinValue,
        2 => double.Epsilon,
        _ => (_random.NextDouble() - 0.5) * Math.Pow(10, _random.Next(-30, 31)),
    };

    public string RandomString()
    {
        if (_random.Next(3) == 0) return Words[_random.Next(Words.Length)];
        var builder = new StringBuilder();
        var length = _random.Next(20);
        for (var i = 0; i < length; i++) builder.Append((char)_random.Next('a', 'z' + 1));
        return builder.ToString();
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    public float[] Embeddings(int rows, int dim)
    {
        var values = new float[rows * dim];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(_random.NextDouble() * 2 - 1);
        return values;
    }
}
