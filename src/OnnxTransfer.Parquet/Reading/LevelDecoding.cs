using OnnxTransfer.Parquet.Encodings;

namespace OnnxTransfer.Parquet.Reading;

/// <summary>Decodes a page's repetition or definition levels (RLE hybrid, or the deprecated BIT_PACKED) into bytes.</summary>
internal static class LevelDecoding
{
    public static void Decode(ReadOnlySpan<byte> encoded, ParquetEncoding encoding, int maxLevel, Span<byte> destination)
    {
        var bitWidth = BitPacking.BitWidthOf(maxLevel);
        if (encoding == ParquetEncoding.BitPacked)
        {
            if (BitPacking.ByteCount(destination.Length, bitWidth) > encoded.Length)
                throw new CorruptDataException("BIT_PACKED levels end before the page's values");
            var scratch = new int[Math.Min(destination.Length, 4096)];
            for (var done = 0; done < destination.Length; done += scratch.Length)
            {
                var batch = Math.Min(scratch.Length, destination.Length - done);
                var span = scratch.AsSpan(0, batch);
                // The MSB-first bit stream is continuous; decode from the batch's first bit.
                UnpackMsbFrom(encoded, bitWidth, done, span);
                for (var i = 0; i < batch; i++)
                {
                    if (span[i] > maxLevel) throw new CorruptDataException($"level {span[i]} exceeds the column's maximum {maxLevel}");
                    destination[done + i] = (byte)span[i];
                }
            }
            return;
        }
        var decoder = new RleBitPackedHybridDecoder(encoded, bitWidth);
        decoder.DecodeLevels(destination, maxLevel);
    }

    private static void UnpackMsbFrom(ReadOnlySpan<byte> source, int bitWidth, int firstValue, Span<int> destination)
    {
        long bitPosition = (long)firstValue * bitWidth;
        for (var i = 0; i < destination.Length; i++)
        {
            var value = 0;
            for (var b = 0; b < bitWidth; b++, bitPosition++)
                value = (value << 1) | ((source[(int)(bitPosition >> 3)] >> (7 - (int)(bitPosition & 7))) & 1);
            destination[i] = value;
        }
    }
}
