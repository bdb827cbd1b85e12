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
                BitPacking.UnpackMostSignificantFirst(encoded, bitWidth, done, span);
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
}
