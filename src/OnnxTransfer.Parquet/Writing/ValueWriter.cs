using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using OnnxTransfer.Parquet.Encodings;

namespace OnnxTransfer.Parquet.Writing;

/// <summary>
/// How values of one physical type are written: PLAIN (and BYTE_STREAM_SPLIT where it applies), their PLAIN size for
/// page and dictionary sizing, the statistics order and the statistics bytes.
/// </summary>
internal abstract class ValueWriter<T>
{
    /// <summary>A null reference (string/byte[] columns) counts as a null value.</summary>
    public virtual bool IsNullReference(T value) => false;

    public abstract int PlainSize(T value);

    public abstract void WritePlain(ReadOnlySpan<T> values, ByteBuffer output);

    public virtual bool CanByteStreamSplit => false;

    public virtual void WriteByteStreamSplit(ReadOnlySpan<T> values, ByteBuffer output) => throw new NotSupportedException();

    /// <summary>Non-null for types that may be dictionary-encoded (strings, binary).</summary>
    public virtual IEqualityComparer<T>? DictionaryComparer => null;

    /// <summary>The column order of the type (TYPE_ORDER): signed for numbers, unsigned bytes for strings and binary.</summary>
    public abstract int Compare(T left, T right);

    public virtual bool IsNaN(T value) => false;

    /// <summary>The PLAIN bytes of one value without a length prefix, as statistics store them.</summary>
    public abstract byte[] StatisticsBytes(T value);

    /// <summary>Rejects values the column cannot hold (e.g. a fixed-length value of the wrong size).</summary>
    public virtual void Validate(T value, string column) { }

    /// <summary>True when values need a look one by one (null references, lengths); false for numbers and booleans.</summary>
    public virtual bool ChecksEachValue => false;
}

/// <summary>INT32, INT64, FLOAT, DOUBLE: PLAIN is the little-endian bytes as they are in memory.</summary>
internal sealed class NumericValueWriter<T> : ValueWriter<T> where T : unmanaged, IComparable<T>
{
    private static readonly unsafe int Size = sizeof(T);

    public override int PlainSize(T value) => Size;

    public override void WritePlain(ReadOnlySpan<T> values, ByteBuffer output) => output.WriteValues(values);

    public override bool CanByteStreamSplit => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    public override void WriteByteStreamSplit(ReadOnlySpan<T> values, ByteBuffer output)
    {
        var bytes = MemoryMarshal.AsBytes(values);
        ByteStreamSplit.Encode(bytes, Size, output.Reserve(bytes.Length));
    }

    public override int Compare(T left, T right) => left.CompareTo(right);

    public override bool IsNaN(T value) =>
        (typeof(T) == typeof(float) && float.IsNaN(Unsafe.As<T, float>(ref value))) ||
        (typeof(T) == typeof(double) && double.IsNaN(Unsafe.As<T, double>(ref value)));

    public override byte[] StatisticsBytes(T value) => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();
}

/// <summary>BOOLEAN: PLAIN packs one bit per value, least significant bit first.</summary>
internal sealed class BooleanValueWriter : ValueWriter<bool>
{
    public override int PlainSize(bool value) => 1; // an over-estimate (a bit) that keeps page sizing simple

    public override void WritePlain(ReadOnlySpan<bool> values, ByteBuffer output)
    {
        var bytes = output.Reserve((values.Length + 7) / 8);
        bytes.Clear();
        for (var i = 0; i < values.Length; i++)
            if (values[i]) bytes[i >> 3] |= (byte)(1 << (i & 7));
    }

    public override int Compare(bool left, bool right) => left.CompareTo(right);

    public override byte[] StatisticsBytes(bool value) => [value ? (byte)1 : (byte)0];
}

/// <summary>STRING: UTF-8 bytes behind a 4-byte length; ordered by unsigned UTF-8 bytes, which is code point order.</summary>
internal sealed class StringValueWriter : ValueWriter<string>
{
    public override bool ChecksEachValue => true;

    public override bool IsNullReference(string value) => value is null;

    public override int PlainSize(string value) => 4 + Encoding.UTF8.GetByteCount(value);

    public override void WritePlain(ReadOnlySpan<string> values, ByteBuffer output)
    {
        foreach (var value in values)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            output.WriteInt32(length);
            Encoding.UTF8.GetBytes(value, output.Reserve(length));
        }
    }

    public override IEqualityComparer<string> DictionaryComparer => StringComparer.Ordinal;

    public override int Compare(string left, string right)
    {
        // UTF-16 ordinal order differs from UTF-8 byte order above U+D7FF; compare by code point instead.
        var a = left.AsSpan();
        var b = right.AsSpan();
        while (!a.IsEmpty && !b.IsEmpty)
        {
            Rune.DecodeFromUtf16(a, out var ra, out var na);
            Rune.DecodeFromUtf16(b, out var rb, out var nb);
            if (ra != rb) return ra.Value.CompareTo(rb.Value);
            a = a[na..];
            b = b[nb..];
        }
        return a.Length.CompareTo(b.Length);
    }

    public override byte[] StatisticsBytes(string value) => Encoding.UTF8.GetBytes(value);
}

/// <summary>BYTE_ARRAY (length-prefixed) or FIXED_LEN_BYTE_ARRAY (bare bytes of the declared length), as byte[].</summary>
internal sealed class BinaryValueWriter(int fixedLength) : ValueWriter<byte[]>
{
    public override bool ChecksEachValue => true;

    public override bool IsNullReference(byte[] value) => value is null;

    public override int PlainSize(byte[] value) => fixedLength > 0 ? fixedLength : 4 + value.Length;

    public override void WritePlain(ReadOnlySpan<byte[]> values, ByteBuffer output)
    {
        foreach (var value in values)
        {
            if (fixedLength == 0) output.WriteInt32(value.Length);
            output.Write(value);
        }
    }

    public override IEqualityComparer<byte[]> DictionaryComparer => ByteArrayComparer.Instance;

    public override int Compare(byte[] left, byte[] right) => left.AsSpan().SequenceCompareTo(right);

    public override byte[] StatisticsBytes(byte[] value) => value;

    public override void Validate(byte[] value, string column)
    {
        if (fixedLength > 0 && value is not null && value.Length != fixedLength)
            throw new ArgumentException($"Column '{column}' holds {fixedLength}-byte values; got one of {value.Length} bytes.");
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] value)
        {
            var hash = new HashCode();
            hash.AddBytes(value);
            return hash.ToHashCode();
        }
    }
}
