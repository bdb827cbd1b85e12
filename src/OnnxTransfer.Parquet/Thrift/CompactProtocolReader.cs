using System.Buffers.Binary;
using System.Text;

namespace OnnxTransfer.Parquet.Thrift;

/// <summary>
/// Reads the Thrift compact protocol from a span. Every length, count and nesting level is checked against the bytes
/// that remain, so a forged size fails here with <see cref="CorruptDataException"/> instead of allocating or overrunning.
/// </summary>
/// <remarks>
/// Struct readers follow one pattern: <c>var outer = r.BeginStruct(); while (r.ReadFieldHeader(out var type, out var id))
/// { switch ... default: r.Skip(type); } r.EndStruct(outer);</c>. Unknown fields, and known ids carrying an unexpected
/// type, are skipped, which keeps newer writers' files readable.
/// </remarks>
internal ref struct CompactProtocolReader
{
    /// <summary>Deeper nesting than this is refused: Parquet metadata nests a handful of levels, a forged file nests forever.</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private short _lastFieldId;
    private int _depth;

    public CompactProtocolReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
        _lastFieldId = 0;
        _depth = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public short BeginStruct()
    {
        if (++_depth > MaxDepth) throw new CorruptDataException($"Thrift metadata nests deeper than {MaxDepth} levels");
        var outer = _lastFieldId;
        _lastFieldId = 0;
        return outer;
    }

    public void EndStruct(short outerFieldId)
    {
        _depth--;
        _lastFieldId = outerFieldId;
    }

    /// <summary>Reads the next field header; false at the struct's stop byte.</summary>
    public bool ReadFieldHeader(out CompactType type, out short id)
    {
        var header = ReadByte();
        if (header == 0)
        {
            type = CompactType.Stop;
            id = 0;
            return false;
        }
        type = (CompactType)(header & 0x0F);
        if (type > CompactType.Struct) throw new CorruptDataException($"Thrift field type {(int)type} is not a compact-protocol type");
        var delta = header >> 4;
        id = delta != 0 ? (short)(_lastFieldId + delta) : ReadI16();
        _lastFieldId = id;
        return true;
    }

    /// <summary>The value of a boolean field, which the compact protocol stores in the field header's type.</summary>
    public static bool BooleanFieldValue(CompactType type) => type == CompactType.BooleanTrue;

    public static bool IsBoolean(CompactType type) => type is CompactType.BooleanTrue or CompactType.BooleanFalse;

    public byte ReadByte()
    {
        if (_position >= _data.Length) throw new TruncatedMetadataException("Thrift metadata ends in the middle of a value");
        return _data[_position++];
    }

    /// <summary>A boolean list element: one byte, 1 for true (some writers use 0 or 2 for false).</summary>
    public bool ReadBoolElement() => ReadByte() == 1;

    public sbyte ReadI8() => (sbyte)ReadByte();

    public short ReadI16()
    {
        var value = ReadI64();
        if (value is < short.MinValue or > short.MaxValue) throw new CorruptDataException($"Thrift i16 value {value} is out of range");
        return (short)value;
    }

    public int ReadI32()
    {
        var value = ReadI64();
        if (value is < int.MinValue or > int.MaxValue) throw new CorruptDataException($"Thrift i32 value {value} is out of range");
        return (int)value;
    }

    public long ReadI64()
    {
        var raw = ReadVarint();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public double ReadDouble()
    {
        var bytes = Take(8);
        return BinaryPrimitives.ReadDoubleLittleEndian(bytes);
    }

    public ReadOnlySpan<byte> ReadBinary()
    {
        var length = ReadLength("binary value");
        return Take(length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBinary());

    public byte[] ReadBinaryCopy() => ReadBinary().ToArray();

    /// <summary>Reads a list (or set) header; the count is checked against the bytes left (every element takes at least one).</summary>
    public int ReadListHeader(out CompactType elementType)
    {
        var header = ReadByte();
        elementType = (CompactType)(header & 0x0F);
        if (elementType > CompactType.Struct) throw new CorruptDataException($"Thrift list element type {(int)elementType} is not a compact-protocol type");
        var count = header >> 4;
        if (count == 15) count = ReadLength("list");
        if (count > Remaining) throw new CorruptDataException($"Thrift list declares {count} elements but only {Remaining} bytes remain");
        return count;
    }

    /// <summary>Skips a value of the given type, nested collections and structs included.</summary>
    public void Skip(CompactType type)
    {
        switch (type)
        {
            case CompactType.BooleanTrue:
            case CompactType.BooleanFalse:
                return; // in a field the value lives in the header
            case CompactType.Byte: Take(1); return;
            case CompactType.I16:
            case CompactType.I32:
            case CompactType.I64: ReadVarint(); return;
            case CompactType.Double: Take(8); return;
            case CompactType.Binary: ReadBinary(); return;
            case CompactType.List:
            case CompactType.Set:
            {
                EnterCollection();
                var count = ReadListHeader(out var elementType);
                for (var i = 0; i < count; i++)
                {
                    if (IsBoolean(elementType)) Take(1);
                    else Skip(elementType);
                }
                _depth--;
                return;
            }
            case CompactType.Map:
            {
                EnterCollection();
                var count = ReadLength("map");
                if (count > 0)
                {
                    if (2L * count > Remaining) throw new CorruptDataException($"Thrift map declares {count} entries but only {Remaining} bytes remain");
                    var kinds = ReadByte();
                    var keyType = (CompactType)(kinds >> 4);
                    var valueType = (CompactType)(kinds & 0x0F);
                    if (keyType > CompactType.Struct || valueType > CompactType.Struct) throw new CorruptDataException("Thrift map has an unknown key or value type");
                    for (var i = 0; i < count; i++)
                    {
                        if (IsBoolean(keyType)) Take(1); else Skip(keyType);
                        if (IsBoolean(valueType)) Take(1); else Skip(valueType);
                    }
                }
                _depth--;
                return;
            }
            case CompactType.Struct:
            {
                var outer = BeginStruct();
                while (ReadFieldHeader(out var fieldType, out _)) Skip(fieldType);
                EndStruct(outer);
                return;
            }
            default:
                throw new CorruptDataException($"Thrift value of type {(int)type} cannot be skipped");
        }
    }

    private void EnterCollection()
    {
        if (++_depth > MaxDepth) throw new CorruptDataException($"Thrift metadata nests deeper than {MaxDepth} levels");
    }

    private int ReadLength(string what)
    {
        var raw = ReadVarint();
        if (raw > int.MaxValue) throw new CorruptDataException($"Thrift {what} length {raw} is too large");
        return (int)raw;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0) throw new CorruptDataException($"Thrift metadata declares a negative length {count}");
        if (count > Remaining) throw new TruncatedMetadataException($"Thrift metadata needs {count} more bytes but only {Remaining} remain");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && b > 1) throw new CorruptDataException("Thrift varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new CorruptDataException("Thrift varint is longer than 10 bytes");
    }
}
