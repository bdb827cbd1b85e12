using System.Text;

namespace OnnxTransfer.Runtime.Tests.Support;

/// <summary>
/// Just enough of the protobuf wire format to read a few top-level fields of an ONNX file and to write tiny models,
/// so the tests have an answer that does not come from ONNX Runtime.
/// </summary>
internal static class Protobuf
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    /// <summary>Top-level fields of a message, in order: (field number, wire type, varint value, payload).</summary>
    public static IEnumerable<(int Field, int WireType, ulong Value, ReadOnlyMemory<byte> Payload)> Fields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message.Span, ref position);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case Varint:
                    yield return (field, wire, ReadVarint(message.Span, ref position), default);
                    break;
                case Fixed64:
                    position += 8;
                    break;
                case Fixed32:
                    position += 4;
                    break;
                case LengthDelimited:
                    var length = (int)ReadVarint(message.Span, ref position);
                    yield return (field, wire, 0, message.Slice(position, length));
                    position += length;
                    break;
                default:
                    throw new FormatException($"wire type {wire} at byte {position}");
            }
        }
    }

    public static string Text(ReadOnlyMemory<byte> payload) => Encoding.UTF8.GetString(payload.Span);

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
    }

    public static byte[] VarintField(int field, long value) => [.. Key(field, Varint), .. VarintBytes((ulong)value)];

    public static byte[] StringField(int field, string value) => MessageField(field, Encoding.UTF8.GetBytes(value));

    public static byte[] MessageField(int field, params byte[][] parts)
    {
        var payload = parts.SelectMany(p => p).ToArray();
        return [.. Key(field, LengthDelimited), .. VarintBytes((ulong)payload.Length), .. payload];
    }

    private static byte[] Key(int field, int wireType) => VarintBytes((ulong)(field << 3 | wireType));

    private static byte[] VarintBytes(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        } while (value != 0);
        return bytes.ToArray();
    }
}
