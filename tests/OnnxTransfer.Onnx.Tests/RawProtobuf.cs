using System.Text;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// A schema-less protobuf wire-format reader and writer, written for the tests as a second route to a model's contents:
/// facts asserted about a model are derived by scanning raw field numbers (per the ONNX schema), independently of the
/// generated classes under test.
/// </summary>
internal static class RawProtobuf
{
    internal enum WireType { Varint = 0, Fixed64 = 1, Length = 2, Fixed32 = 5 }

    internal readonly record struct Field(int Number, WireType Wire, ulong Scalar, ReadOnlyMemory<byte> Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes.Span);
        public long Int64 => (long)Scalar;
    }

    public static List<Field> Parse(ReadOnlyMemory<byte> message)
    {
        var fields = new List<Field>();
        var span = message.Span;
        var position = 0;
        while (position < span.Length)
        {
            var key = ReadVarint(span, ref position);
            var number = (int)(key >> 3);
            var wire = (WireType)(key & 7);
            switch (wire)
            {
                case WireType.Varint:
                    fields.Add(new Field(number, wire, ReadVarint(span, ref position), default));
                    break;
                case WireType.Fixed64:
                    fields.Add(new Field(number, wire, BitConverter.ToUInt64(span.Slice(position, 8)), message.Slice(position, 8)));
                    position += 8;
                    break;
                case WireType.Fixed32:
                    fields.Add(new Field(number, wire, BitConverter.ToUInt32(span.Slice(position, 4)), message.Slice(position, 4)));
                    position += 4;
                    break;
                case WireType.Length:
                    var length = (int)ReadVarint(span, ref position);
                    fields.Add(new Field(number, wire, 0, message.Slice(position, length)));
                    position += length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported wire type {wire} at byte {position}");
            }
        }
        return fields;
    }

    public static IEnumerable<Field> All(ReadOnlyMemory<byte> message, int number) => Parse(message).Where(f => f.Number == number);

    public static Field One(ReadOnlyMemory<byte> message, int number) => All(message, number).Single();

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
    }

    public static byte[] Encode(IEnumerable<Field> fields)
    {
        using var stream = new MemoryStream();
        foreach (var field in fields)
        {
            WriteVarint(stream, ((ulong)field.Number << 3) | (ulong)field.Wire);
            switch (field.Wire)
            {
                case WireType.Varint: WriteVarint(stream, field.Scalar); break;
                case WireType.Fixed64: stream.Write(BitConverter.GetBytes(field.Scalar)); break;
                case WireType.Fixed32: stream.Write(BitConverter.GetBytes((uint)field.Scalar)); break;
                case WireType.Length:
                    WriteVarint(stream, (ulong)field.Bytes.Length);
                    stream.Write(field.Bytes.Span);
                    break;
            }
        }
        return stream.ToArray();
    }

    public static Field VarintField(int number, ulong value) => new(number, WireType.Varint, value, default);
    public static Field BytesField(int number, byte[] value) => new(number, WireType.Length, 0, value);
    public static Field TextField(int number, string value) => BytesField(number, Encoding.UTF8.GetBytes(value));
    public static Field Fixed32Field(int number, uint value) => new(number, WireType.Fixed32, value, default);
    public static Field Fixed64Field(int number, ulong value) => new(number, WireType.Fixed64, value, default);

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}
