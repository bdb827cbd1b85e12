using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using OnnxTransfer.Parquet.Encodings;
using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet.Reading;

/// <summary>
/// Decodes the non-null values of a page into typed values. The dictionary, when a chunk has one, is decoded once into
/// <typeparamref name="T"/>[] and indices gather from it, so dictionary-encoded strings share one string per entry.
/// </summary>
internal abstract class ValueDecoder<T>
{
    private T[]? _dictionary;
    private DictionaryPage? _dictionarySource;

    protected ValueDecoder(ColumnDescriptor column) => Column = column;

    protected ColumnDescriptor Column { get; }

    /// <summary>Decodes exactly <c>destination.Length</c> values of <paramref name="encoding"/> from <paramref name="data"/>.</summary>
    public void Decode(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> destination, DictionaryPage? dictionary)
    {
        switch (encoding)
        {
            case ParquetEncoding.Plain:
                DecodePlain(data, destination);
                break;
            case ParquetEncoding.PlainDictionary or ParquetEncoding.RleDictionary:
                DecodeDictionaryIndices(data, destination, dictionary);
                break;
            default:
                DecodeOther(encoding, data, destination);
                break;
        }
    }

    /// <summary>Decodes PLAIN values and returns the bytes they took.</summary>
    protected abstract int DecodePlain(ReadOnlySpan<byte> data, Span<T> destination);

    protected virtual void DecodeOther(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> destination) =>
        throw new CorruptDataException($"value encoding {encoding} is not supported for {Column.PhysicalType} columns");

    private void DecodeDictionaryIndices(ReadOnlySpan<byte> data, Span<T> destination, DictionaryPage? dictionary)
    {
        if (dictionary is null) throw new CorruptDataException("a dictionary-encoded page has no dictionary page before it");
        var entries = Materialize(dictionary);
        if (destination.Length == 0) return;
        if (data.Length < 1) throw new CorruptDataException("a dictionary-encoded page has no index bit width");
        int bitWidth = data[0];
        if (bitWidth > 32) throw new CorruptDataException($"dictionary index bit width {bitWidth} exceeds 32");
        var decoder = new RleBitPackedHybridDecoder(data[1..], bitWidth);
        Span<int> scratch = stackalloc int[512];
        var filled = 0;
        while (filled < destination.Length)
        {
            var count = decoder.Next(destination.Length - filled, scratch, out var repeated, out var index);
            if (count == 0) throw new CorruptDataException($"dictionary indices end after {filled} of {destination.Length} values");
            if (repeated)
            {
                if ((uint)index >= (uint)entries.Length) throw new CorruptDataException($"dictionary index {index} is outside the {entries.Length}-entry dictionary");
                destination.Slice(filled, count).Fill(entries[index]);
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    var entry = scratch[i];
                    if ((uint)entry >= (uint)entries.Length) throw new CorruptDataException($"dictionary index {entry} is outside the {entries.Length}-entry dictionary");
                    destination[filled + i] = entries[entry];
                }
            }
            filled += count;
        }
    }

    private T[] Materialize(DictionaryPage dictionary)
    {
        if (_dictionary is not null && ReferenceEquals(_dictionarySource, dictionary)) return _dictionary;
        // Every entry takes at least one byte (or bit, for booleans) of the page: a larger count is forged.
        var minimumBits = Column.PhysicalType switch
        {
            ParquetPhysicalType.Boolean => 1L,
            ParquetPhysicalType.ByteArray => 32L, // the 4-byte length
            _ => 8L * Column.FixedValueWidth,
        };
        if (dictionary.Count * minimumBits > dictionary.Data.Length * 8L)
            throw new CorruptDataException($"the dictionary page declares {dictionary.Count} entries in {dictionary.Data.Length} bytes");
        var entries = new T[dictionary.Count];
        DecodePlain(dictionary.Data, entries);
        _dictionary = entries;
        _dictionarySource = dictionary;
        return entries;
    }

    /// <summary>The decoder for a column's value type; <typeparamref name="T"/> must match <see cref="ColumnDescriptor.ValueField"/>.</summary>
    public static ValueDecoder<T> For(ColumnDescriptor column)
    {
        object decoder = column.PhysicalType switch
        {
            ParquetPhysicalType.Boolean when typeof(T) == typeof(bool) => new BooleanValueDecoder(column),
            ParquetPhysicalType.Int32 when typeof(T) == typeof(int) => new FixedWidthValueDecoder<int>(column),
            ParquetPhysicalType.Int64 when typeof(T) == typeof(long) => new FixedWidthValueDecoder<long>(column),
            ParquetPhysicalType.Float when typeof(T) == typeof(float) => new FixedWidthValueDecoder<float>(column),
            ParquetPhysicalType.Double when typeof(T) == typeof(double) => new FixedWidthValueDecoder<double>(column),
            ParquetPhysicalType.ByteArray when typeof(T) == typeof(string) => new ByteArrayValueDecoder<string>(column, static bytes => Encoding.UTF8.GetString(bytes)),
            ParquetPhysicalType.ByteArray when typeof(T) == typeof(byte[]) => new ByteArrayValueDecoder<byte[]>(column, static bytes => bytes.ToArray()),
            ParquetPhysicalType.FixedLenByteArray or ParquetPhysicalType.Int96 when typeof(T) == typeof(byte[]) => new FixedLengthValueDecoder(column),
            _ => throw new InvalidOperationException($"Column '{column.DottedPath}' of type {column.PhysicalType} cannot be read as {typeof(T).Name}."),
        };
        return (ValueDecoder<T>)decoder;
    }
}

/// <summary>INT32, INT64, FLOAT, DOUBLE: PLAIN is a copy, BYTE_STREAM_SPLIT a vectorised transpose, DELTA for integers.</summary>
internal sealed class FixedWidthValueDecoder<T>(ColumnDescriptor column) : ValueDecoder<T>(column) where T : unmanaged
{
    protected override unsafe int DecodePlain(ReadOnlySpan<byte> data, Span<T> destination)
    {
        var bytes = (long)destination.Length * sizeof(T);
        if (bytes > data.Length) throw new CorruptDataException($"PLAIN data holds {data.Length / sizeof(T)} values where {destination.Length} are needed");
        data[..(int)bytes].CopyTo(MemoryMarshal.AsBytes(destination));
        return (int)bytes;
    }

    protected override unsafe void DecodeOther(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> destination)
    {
        switch (encoding)
        {
            case ParquetEncoding.ByteStreamSplit:
            {
                var bytes = (long)destination.Length * sizeof(T);
                if (data.Length != bytes)
                    throw new CorruptDataException($"BYTE_STREAM_SPLIT data is {data.Length} bytes where {destination.Length} values take {bytes}");
                ByteStreamSplit.Decode(data, sizeof(T), MemoryMarshal.AsBytes(destination));
                return;
            }
            case ParquetEncoding.DeltaBinaryPacked when typeof(T) == typeof(int):
                DeltaBinaryPackedDecoder.Decode(data, MemoryMarshal.Cast<T, int>(destination));
                return;
            case ParquetEncoding.DeltaBinaryPacked when typeof(T) == typeof(long):
                DeltaBinaryPackedDecoder.Decode(data, MemoryMarshal.Cast<T, long>(destination));
                return;
            default:
                base.DecodeOther(encoding, data, destination);
                return;
        }
    }
}

/// <summary>BOOLEAN: PLAIN is one bit per value (LSB first); RLE is the hybrid with width 1 behind a 4-byte length.</summary>
internal sealed class BooleanValueDecoder(ColumnDescriptor column) : ValueDecoder<bool>(column)
{
    protected override int DecodePlain(ReadOnlySpan<byte> data, Span<bool> destination)
    {
        var bytes = (destination.Length + 7) / 8;
        if (bytes > data.Length) throw new CorruptDataException($"PLAIN booleans hold {data.Length * 8} bits where {destination.Length} are needed");
        for (var i = 0; i < destination.Length; i++) destination[i] = (data[i >> 3] & (1 << (i & 7))) != 0;
        return bytes;
    }

    protected override void DecodeOther(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<bool> destination)
    {
        if (encoding != ParquetEncoding.Rle)
        {
            base.DecodeOther(encoding, data, destination);
            return;
        }
        if (data.Length < 4) throw new CorruptDataException("RLE booleans have no length prefix");
        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (length < 0 || length > data.Length - 4) throw new CorruptDataException($"RLE booleans declare {length} bytes but {data.Length - 4} remain");
        var decoder = new RleBitPackedHybridDecoder(data.Slice(4, length), 1);
        Span<int> scratch = stackalloc int[256];
        var filled = 0;
        while (filled < destination.Length)
        {
            var count = decoder.Next(destination.Length - filled, scratch, out var repeated, out var value);
            if (count == 0) throw new CorruptDataException($"RLE booleans end after {filled} of {destination.Length} values");
            if (repeated) destination.Slice(filled, count).Fill(value != 0);
            else for (var i = 0; i < count; i++) destination[filled + i] = scratch[i] != 0;
            filled += count;
        }
    }
}

/// <summary>BYTE_ARRAY as string or byte[]: PLAIN (length-prefixed), DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY.</summary>
internal sealed class ByteArrayValueDecoder<T>(ColumnDescriptor column, ByteArrayValueDecoder<T>.Converter convert) : ValueDecoder<T>(column)
{
    public delegate T Converter(ReadOnlySpan<byte> bytes);

    protected override int DecodePlain(ReadOnlySpan<byte> data, Span<T> destination)
    {
        var position = 0;
        for (var i = 0; i < destination.Length; i++)
        {
            if (data.Length - position < 4) throw new CorruptDataException($"PLAIN byte arrays end after {i} of {destination.Length} values");
            var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
            position += 4;
            if (length < 0 || length > data.Length - position)
                throw new CorruptDataException($"a PLAIN byte array declares {length} bytes but {data.Length - position} remain");
            destination[i] = convert(data.Slice(position, length));
            position += length;
        }
        return position;
    }

    protected override void DecodeOther(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> destination)
    {
        switch (encoding)
        {
            case ParquetEncoding.DeltaLengthByteArray:
                DecodeDeltaLength(data, destination);
                return;
            case ParquetEncoding.DeltaByteArray:
            {
                var values = new T[destination.Length];
                DeltaByteArray.Decode(data, values.Length, (index, bytes) => values[index] = convert(bytes));
                values.CopyTo(destination);
                return;
            }
            default:
                base.DecodeOther(encoding, data, destination);
                return;
        }
    }

    private void DecodeDeltaLength(ReadOnlySpan<byte> data, Span<T> destination)
    {
        var lengths = new long[destination.Length];
        var position = DeltaBinaryPackedDecoder.Decode(data, lengths);
        for (var i = 0; i < destination.Length; i++)
        {
            var length = lengths[i];
            if (length < 0 || length > data.Length - position)
                throw new CorruptDataException($"a DELTA_LENGTH_BYTE_ARRAY value declares {length} bytes but {data.Length - position} remain");
            destination[i] = convert(data.Slice(position, (int)length));
            position += (int)length;
        }
    }
}

/// <summary>FIXED_LEN_BYTE_ARRAY and INT96 as byte[]: PLAIN, BYTE_STREAM_SPLIT, DELTA_BYTE_ARRAY.</summary>
internal sealed class FixedLengthValueDecoder(ColumnDescriptor column) : ValueDecoder<byte[]>(column)
{
    private int Width => Column.TypeLength;

    protected override int DecodePlain(ReadOnlySpan<byte> data, Span<byte[]> destination)
    {
        var bytes = (long)destination.Length * Width;
        if (bytes > data.Length) throw new CorruptDataException($"PLAIN data holds {data.Length / Width} values of {Width} bytes where {destination.Length} are needed");
        for (var i = 0; i < destination.Length; i++) destination[i] = data.Slice(i * Width, Width).ToArray();
        return (int)bytes;
    }

    protected override void DecodeOther(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<byte[]> destination)
    {
        switch (encoding)
        {
            case ParquetEncoding.ByteStreamSplit when Column.PhysicalType == ParquetPhysicalType.FixedLenByteArray:
            {
                var bytes = (long)destination.Length * Width;
                if (data.Length != bytes) throw new CorruptDataException($"BYTE_STREAM_SPLIT data is {data.Length} bytes where {destination.Length} values take {bytes}");
                var joined = new byte[bytes];
                ByteStreamSplit.Decode(data, Width, joined);
                for (var i = 0; i < destination.Length; i++) destination[i] = joined.AsSpan(i * Width, Width).ToArray();
                return;
            }
            case ParquetEncoding.DeltaByteArray when Column.PhysicalType == ParquetPhysicalType.FixedLenByteArray:
            {
                var width = Width;
                var values = new byte[destination.Length][];
                DeltaByteArray.Decode(data, values.Length, (index, value) =>
                {
                    if (value.Length != width) throw new CorruptDataException($"a DELTA_BYTE_ARRAY value is {value.Length} bytes in a {width}-byte column");
                    values[index] = value.ToArray();
                });
                values.CopyTo(destination);
                return;
            }
            default:
                base.DecodeOther(encoding, data, destination);
                return;
        }
    }
}
