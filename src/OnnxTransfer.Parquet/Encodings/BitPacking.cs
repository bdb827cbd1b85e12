namespace OnnxTransfer.Parquet.Encodings;

/// <summary>
/// Bit packing as the RLE/bit-packed hybrid uses it: values of <c>bitWidth</c> bits, packed from the least significant
/// bit of each byte upwards (Encodings.md, RLE section).
/// </summary>
internal static class BitPacking
{
    public static int BitWidthOf(int maxValue) => maxValue <= 0 ? 0 : 32 - int.LeadingZeroCount(maxValue);

    /// <summary>Bytes that <paramref name="count"/> values of <paramref name="bitWidth"/> bits take.</summary>
    public static long ByteCount(long count, int bitWidth) => (count * bitWidth + 7) / 8;

    /// <summary>Unpacks <c>destination.Length</c> values; <paramref name="source"/> must hold at least their bytes.</summary>
    public static void Unpack(ReadOnlySpan<byte> source, int bitWidth, Span<int> destination)
    {
        if (bitWidth == 0)
        {
            destination.Clear();
            return;
        }
        var mask = bitWidth == 32 ? 0xFFFF_FFFFUL : (1UL << bitWidth) - 1;
        ulong accumulator = 0;
        var bits = 0;
        var position = 0;
        for (var i = 0; i < destination.Length; i++)
        {
            while (bits < bitWidth)
            {
                accumulator |= (ulong)source[position++] << bits;
                bits += 8;
            }
            destination[i] = (int)(uint)(accumulator & mask);
            accumulator >>= bitWidth;
            bits -= bitWidth;
        }
    }

    /// <summary>Packs the values (each below 2^bitWidth) into <c>ByteCount(values.Length, bitWidth)</c> bytes.</summary>
    public static void Pack(ReadOnlySpan<int> values, int bitWidth, Span<byte> destination)
    {
        if (bitWidth == 0) return;
        ulong accumulator = 0;
        var bits = 0;
        var position = 0;
        var mask = bitWidth == 32 ? 0xFFFF_FFFFUL : (1UL << bitWidth) - 1;
        foreach (var value in values)
        {
            accumulator |= ((ulong)(uint)value & mask) << bits;
            bits += bitWidth;
            while (bits >= 8)
            {
                destination[position++] = (byte)accumulator;
                accumulator >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0) destination[position] = (byte)accumulator;
    }

    /// <summary>
    /// The deprecated BIT_PACKED level encoding (most significant bit first), from value <paramref name="firstValue"/>
    /// of a continuous bit stream.
    /// </summary>
    public static void UnpackMostSignificantFirst(ReadOnlySpan<byte> source, int bitWidth, long firstValue, Span<int> destination)
    {
        var bitPosition = firstValue * bitWidth;
        for (var i = 0; i < destination.Length; i++)
        {
            var value = 0;
            for (var b = 0; b < bitWidth; b++, bitPosition++)
                value = (value << 1) | ((source[(int)(bitPosition >> 3)] >> (7 - (int)(bitPosition & 7))) & 1);
            destination[i] = value;
        }
    }
}
