using System.Runtime.InteropServices;
using OnnxTransfer.Parquet.Encodings;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>The encodings against the examples in Encodings.md and against each other.</summary>
public class EncodingTests
{
    [Test]
    public void BitPackingMatchesTheSpecificationExample()
    {
        // Encodings.md: the numbers 0..7 with bit width 3 pack to 10001000 11000110 11111010.
        var packed = new byte[3];
        BitPacking.Pack([0, 1, 2, 3, 4, 5, 6, 7], 3, packed);
        Assert.That(packed, Is.EqualTo(new byte[] { 0b10001000, 0b11000110, 0b11111010 }));
        var unpacked = new int[8];
        BitPacking.Unpack(packed, 3, unpacked);
        Assert.That(unpacked, Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }));
    }

    [Test]
    public void DeprecatedBitPackedLevelsMatchTheSpecificationExample()
    {
        // Encodings.md, BIT_PACKED: 0..7 with bit width 3, most significant bit first: 00000101 00111001 01110111.
        var levels = new int[8];
        BitPacking.UnpackMostSignificantFirst([0b00000101, 0b00111001, 0b01110111], 3, 0, levels);
        Assert.That(levels, Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }));

        // Through the level decoder, in batches that start inside bytes, and with a level above the maximum refused.
        var packed = new byte[3000 * 3 / 8];
        var expected = Enumerable.Range(0, 3000).Select(i => i * 7 % 6).ToArray();
        for (var i = 0; i < expected.Length; i++)
            for (var b = 0; b < 3; b++)
                if (((expected[i] >> (2 - b)) & 1) != 0) packed[(i * 3 + b) >> 3] |= (byte)(0x80 >> ((i * 3 + b) & 7));
        var decoded = new byte[3000];
        Reading.LevelDecoding.Decode(packed, ParquetEncoding.BitPacked, 5, decoded);
        Assert.That(decoded.Select(d => (int)d), Is.EqualTo(expected));
        Assert.Throws<CorruptDataException>(() => Reading.LevelDecoding.Decode(packed, ParquetEncoding.BitPacked, 4, decoded));
        Assert.Throws<CorruptDataException>(() => Reading.LevelDecoding.Decode(packed.AsSpan(0, 100), ParquetEncoding.BitPacked, 5, decoded));
    }

    [Test]
    public void RleEncodedBooleansDecode()
    {
        // Data page v2 style booleans: a 4-byte length, then the hybrid at bit width 1.
        var buffer = new ByteBuffer();
        buffer.WriteInt32(0);
        var encoder = new RleBitPackedHybridEncoder(buffer, 1);
        var values = Enumerable.Range(0, 500).Select(i => i < 100 || i % 3 == 0).ToArray();
        foreach (var value in values) encoder.Write(value ? 1 : 0);
        encoder.Finish();
        buffer.PatchInt32(0, buffer.Length - 4);
        var column = new Schema.ColumnDescriptor
        {
            LeafIndex = 0, Path = ["b"], PhysicalType = ParquetPhysicalType.Boolean, TypeLength = 0,
            MaxDefinitionLevel = 0, MaxRepetitionLevel = 0, RepeatedDefinitionLevel = 0,
        };
        var decoded = new bool[500];
        Reading.ValueDecoder<bool>.For(column).Decode(ParquetEncoding.Rle, buffer.WrittenSpan, decoded, null);
        Assert.That(decoded, Is.EqualTo(values));
        Assert.Throws<CorruptDataException>(() => Reading.ValueDecoder<bool>.For(column).Decode(ParquetEncoding.Rle, buffer.WrittenSpan, new bool[501], null));
    }

    [Test]
    public void HybridDecoderReadsHandWrittenRuns()
    {
        // An RLE run of 300 fives (header 300<<1 = 600 = varint D8 04, value 05), then one bit-packed group 0..7 (header 0x03).
        byte[] data = [0xD8, 0x04, 0x05, 0x03, 0b10001000, 0b11000110, 0b11111010];
        var values = new int[308];
        new RleBitPackedHybridDecoder(data, 3).Decode(values);
        Assert.That(values[..300], Is.All.EqualTo(5));
        Assert.That(values[300..], Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }));
        Assert.Throws<CorruptDataException>(() => new RleBitPackedHybridDecoder(data, 3).Decode(new int[309]));
    }

    [Test]
    public void HybridEncoderAndDecoderRoundTripRandomRunStructures([Range(0, 39)] int seed)
    {
        var random = new Random(seed);
        var bitWidth = random.Next(0, 33);
        var max = bitWidth == 0 ? 0 : bitWidth >= 31 ? int.MaxValue : (1 << bitWidth) - 1;
        var values = new List<int>();
        var total = random.Next(0, 5000);
        while (values.Count < total)
        {
            var value = random.Next(0, max == int.MaxValue ? int.MaxValue : max + 1);
            var run = random.Next(3) == 0 ? random.Next(1, 200) : 1;
            values.AddRange(Enumerable.Repeat(value, run));
        }
        var buffer = new ByteBuffer();
        var encoder = new RleBitPackedHybridEncoder(buffer, bitWidth);
        // Mix single writes with bulk repeats, as the level writer does.
        for (var i = 0; i < values.Count;)
        {
            var run = 1;
            while (i + run < values.Count && values[i + run] == values[i]) run++;
            if (run > 3 && random.Next(2) == 0) encoder.WriteRepeated(values[i], run);
            else for (var k = 0; k < run; k++) encoder.Write(values[i]);
            i += run;
        }
        encoder.Finish();
        var decoded = new int[values.Count];
        new RleBitPackedHybridDecoder(buffer.WrittenSpan, bitWidth).Decode(decoded);
        Assert.That(decoded, Is.EqualTo(values));
    }

    [Test]
    public void LongRepeatedRunsStayCompact()
    {
        var buffer = new ByteBuffer();
        var encoder = new RleBitPackedHybridEncoder(buffer, 1);
        encoder.WriteRepeated(1, 100_000_000);
        encoder.Finish();
        Assert.That(buffer.Length, Is.LessThanOrEqualTo(8));
        var decoder = new RleBitPackedHybridDecoder(buffer.WrittenSpan, 1);
        var count = decoder.Next(int.MaxValue, new int[8], out var repeated, out var value);
        Assert.That((count, repeated, value), Is.EqualTo((100_000_000, true, 1)));
    }

    [Test]
    public void ByteStreamSplitMatchesTheSpecificationExample()
    {
        // Encodings.md: AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6 -> AA 00 A3 BB 11 B4 CC 22 C5 DD 33 D6.
        byte[] values = [0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6];
        byte[] expected = [0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6];
        var split = new byte[12];
        ByteStreamSplit.Encode(values, 4, split);
        Assert.That(split, Is.EqualTo(expected));
        var joined = new byte[12];
        ByteStreamSplit.Decode(split, 4, joined);
        Assert.That(joined, Is.EqualTo(values));
    }

    [Test]
    public void VectorisedByteStreamSplitAgreesWithTheDefinition([Values(0, 1, 15, 16, 17, 33, 1000, 1283)] int count, [Values(4, 8)] int width)
    {
        var values = new byte[count * width];
        new Random(count).NextBytes(values);
        var split = new byte[values.Length];
        ByteStreamSplit.Encode(values, width, split);
        for (var i = 0; i < count; i++)
            for (var k = 0; k < width; k++)
                Assert.That(split[k * count + i], Is.EqualTo(values[i * width + k]));
        var joined = new byte[values.Length];
        ByteStreamSplit.Decode(split, width, joined);
        Assert.That(joined, Is.EqualTo(values));
    }

    [Test]
    public void DeltaBinaryPackedDecodesAHandWrittenStream()
    {
        // Header: block 128, 4 miniblocks, 5 values, first value 1 (zigzag 2); one block: min delta 1 (zigzag 2), widths 0.
        byte[] constantDeltas = [0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0];
        var values = new long[5];
        var consumed = DeltaBinaryPackedDecoder.Decode(constantDeltas, values);
        Assert.That(values, Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
        Assert.That(consumed, Is.EqualTo(constantDeltas.Length));

        // 7, 5, 3, 1, 2, 3, 4, 5: deltas -2,-2,-2,1,1,1,1, min -2 (zigzag 3), relative 0,0,0,3,3,3,3 at bit width 2
        // in the first miniblock of 32 values (8 bytes, padded), the other three miniblocks unused.
        var packed = new byte[8];
        BitPacking.Pack([0, 0, 0, 3, 3, 3, 3], 2, packed);
        byte[] stream = [0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 2, 0, 0, 0, .. packed];
        var decoded = new int[8];
        Assert.That(DeltaBinaryPackedDecoder.Decode(stream, decoded), Is.EqualTo(stream.Length));
        Assert.That(decoded, Is.EqualTo(new[] { 7, 5, 3, 1, 2, 3, 4, 5 }));

        Assert.Throws<CorruptDataException>(() => DeltaBinaryPackedDecoder.Decode(stream, new int[9]));
        Assert.Throws<CorruptDataException>(() => DeltaBinaryPackedDecoder.Decode(stream.AsSpan(0, 11), decoded));
    }

    [Test]
    public void DeltaBinaryPackedDecodesManyBlocksOfWrappingValues([Values(1, 2, 127, 128, 129, 1000, 5000)] int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(i => random.Next(3) switch
        {
            0 => random.NextInt64(long.MinValue, long.MaxValue),
            1 => (long)i * 3,
            _ => random.Next(-100, 100),
        }).ToArray();
        var encoded = DeltaEncode(values);
        var decoded = new long[count];
        Assert.That(DeltaBinaryPackedDecoder.Decode(encoded, decoded), Is.EqualTo(encoded.Length));
        Assert.That(decoded, Is.EqualTo(values));
    }

    [Test]
    public void DeltaByteArrayMatchesTheSpecificationExample()
    {
        // Encodings.md: "axis", "axle", "babble", "babyhood" -> prefixes 0,2,0,3; suffixes "axis","le","babble","yhood".
        byte[] data = [.. DeltaEncode([0, 2, 0, 3]), .. DeltaEncode([4, 2, 6, 5]), .. "axislebabbleyhood"u8];
        var values = new string[4];
        DeltaByteArray.Decode(data, 4, (i, bytes) => values[i] = System.Text.Encoding.UTF8.GetString(bytes));
        Assert.That(values, Is.EqualTo(new[] { "axis", "axle", "babble", "babyhood" }));
        byte[] badPrefix = [.. DeltaEncode([3, 0]), .. DeltaEncode([1, 1]), .. "ab"u8];
        Assert.Throws<CorruptDataException>(() => DeltaByteArray.Decode(badPrefix, 2, (_, _) => { }));
    }

    /// <summary>DELTA_BINARY_PACKED as Encodings.md describes it: blocks of 128 values in 4 miniblocks of 32.</summary>
    private static byte[] DeltaEncode(long[] values)
    {
        var output = new List<byte>();
        void Uleb(ulong v) { while (v >= 0x80) { output.Add((byte)(v | 0x80)); v >>= 7; } output.Add((byte)v); }
        void ZigZag(long v) => Uleb((ulong)((v << 1) ^ (v >> 63)));
        Uleb(128); Uleb(4); Uleb((ulong)values.Length); ZigZag(values.Length > 0 ? values[0] : 0);
        for (var start = 1; start < values.Length; start += 128)
        {
            var deltas = new List<long>();
            for (var i = start; i < Math.Min(start + 128, values.Length); i++) deltas.Add(unchecked(values[i] - values[i - 1]));
            var min = deltas.Min();
            ZigZag(min);
            var relative = deltas.Select(d => unchecked((ulong)(d - min))).ToList();
            var widths = new byte[4];
            var miniblocks = (relative.Count + 31) / 32;
            for (var m = 0; m < miniblocks; m++)
                widths[m] = (byte)relative.Skip(m * 32).Take(32).Select(v => 64 - System.Numerics.BitOperations.LeadingZeroCount(v)).Max();
            output.AddRange(widths);
            for (var m = 0; m < miniblocks; m++)
            {
                var bits = new System.Collections.BitArray(32 * widths[m]);
                var chunk = relative.Skip(m * 32).Take(32).ToList();
                for (var k = 0; k < chunk.Count; k++)
                    for (var b = 0; b < widths[m]; b++) bits[k * widths[m] + b] = ((chunk[k] >> b) & 1) != 0;
                var bytes = new byte[4 * widths[m]];
                bits.CopyTo(bytes, 0);
                output.AddRange(bytes);
            }
        }
        return [.. output];
    }

    [Test]
    public void FloatBytesAreLittleEndianAsParquetRequires() =>
        Assert.That(BitConverter.IsLittleEndian && MemoryMarshal.AsBytes<float>([1f]).ToArray().SequenceEqual(new byte[] { 0, 0, 0x80, 0x3F }));
}
