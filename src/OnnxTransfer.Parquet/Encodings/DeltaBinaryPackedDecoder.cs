namespace OnnxTransfer.Parquet.Encodings;

/// <summary>
/// DELTA_BINARY_PACKED (Encodings.md): a header, then blocks of miniblocks of bit-packed deltas above a per-block
/// minimum. Arithmetic wraps in two's complement as the specification requires.
/// </summary>
internal static class DeltaBinaryPackedDecoder
{
    /// <summary>
    /// Decodes exactly <c>destination.Length</c> values (64-bit; INT32 callers narrow them) and returns the bytes consumed,
    /// which is where data that follows the encoding (DELTA_LENGTH_BYTE_ARRAY) begins.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, Span<long> destination)
    {
        var position = 0;
        var blockSize = ReadUleb(data, ref position);
        var miniblocks = ReadUleb(data, ref position);
        var total = ReadUleb(data, ref position);
        var first = ReadZigZag(data, ref position);
        if (blockSize == 0 || blockSize % 128 != 0 || blockSize > 1 << 20)
            throw new CorruptDataException($"DELTA_BINARY_PACKED block size {blockSize} is not a positive multiple of 128");
        if (miniblocks == 0 || blockSize % miniblocks != 0 || blockSize / miniblocks % 32 != 0)
            throw new CorruptDataException($"DELTA_BINARY_PACKED has {miniblocks} miniblocks for block size {blockSize}");
        if (total != (ulong)destination.Length)
            throw new CorruptDataException($"DELTA_BINARY_PACKED holds {total} values where the page has {destination.Length}");
        if (destination.Length == 0) return position;

        var perMiniblock = (int)(blockSize / miniblocks);
        var miniblockCount = (int)miniblocks;
        destination[0] = first;
        var produced = 1;
        var previous = first;
        if (miniblockCount > 1024) throw new CorruptDataException($"DELTA_BINARY_PACKED declares {miniblockCount} miniblocks per block");
        Span<byte> widths = stackalloc byte[miniblockCount];
        Span<ulong> deltas = stackalloc ulong[32];
        while (produced < destination.Length)
        {
            var minDelta = ReadZigZag(data, ref position);
            if (position + miniblockCount > data.Length) throw new CorruptDataException("DELTA_BINARY_PACKED block ends inside its bit widths");
            data.Slice(position, miniblockCount).CopyTo(widths);
            position += miniblockCount;
            for (var m = 0; m < miniblockCount && produced < destination.Length; m++)
            {
                int bitWidth = widths[m];
                if (bitWidth > 64) throw new CorruptDataException($"DELTA_BINARY_PACKED miniblock bit width {bitWidth} exceeds 64");
                var miniblockBytes = (int)BitPacking.ByteCount(perMiniblock, bitWidth);
                var needed = Math.Min(perMiniblock, destination.Length - produced);
                if (position + BitPacking.ByteCount(needed, bitWidth) > data.Length)
                    throw new CorruptDataException("DELTA_BINARY_PACKED data ends inside a miniblock");
                var source = data[position..];
                for (var done = 0; done < needed; done += 32)
                {
                    var batch = Math.Min(32, needed - done);
                    Unpack64(source, bitWidth, done, deltas[..batch]);
                    for (var i = 0; i < batch; i++)
                    {
                        previous = unchecked(previous + minDelta + (long)deltas[i]);
                        destination[produced++] = previous;
                    }
                }
                position = (int)Math.Min(data.Length, position + (long)miniblockBytes);
            }
        }
        return position;
    }

    /// <summary>Decodes exactly <c>destination.Length</c> INT32 values (wrapping as 32-bit).</summary>
    public static int Decode(ReadOnlySpan<byte> data, Span<int> destination)
    {
        var wide = new long[destination.Length];
        var consumed = Decode(data, wide);
        for (var i = 0; i < destination.Length; i++) destination[i] = unchecked((int)wide[i]);
        return consumed;
    }

    private static void Unpack64(ReadOnlySpan<byte> source, int bitWidth, int firstValue, Span<ulong> destination)
    {
        if (bitWidth == 0)
        {
            destination.Clear();
            return;
        }
        var bitPosition = (long)firstValue * bitWidth;
        for (var i = 0; i < destination.Length; i++, bitPosition += bitWidth)
        {
            var byteIndex = (int)(bitPosition >> 3);
            var shift = (int)(bitPosition & 7);
            UInt128 window = 0;
            var bytesNeeded = (shift + bitWidth + 7) / 8;
            for (var b = 0; b < bytesNeeded; b++) window |= (UInt128)source[byteIndex + b] << (8 * b);
            window >>= shift;
            destination[i] = bitWidth == 64 ? (ulong)window : (ulong)window & ((1UL << bitWidth) - 1);
        }
    }

    internal static ulong ReadUleb(ReadOnlySpan<byte> data, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length) throw new CorruptDataException("DELTA_BINARY_PACKED data ends inside a varint");
            var b = data[position++];
            if (shift == 63 && b > 1) throw new CorruptDataException("DELTA_BINARY_PACKED varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new CorruptDataException("DELTA_BINARY_PACKED varint is longer than 10 bytes");
    }

    private static long ReadZigZag(ReadOnlySpan<byte> data, ref int position)
    {
        var raw = ReadUleb(data, ref position);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }
}
