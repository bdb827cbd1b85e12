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
        BitPacking.UnpackMostSignificantFirst([0b00000101, 0b00111001, 0b01110111], 3, levels);
        Assert.That(levels, Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }));
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
    public void FloatBytesAreLittleEndianAsParquetRequires() =>
        Assert.That(BitConverter.IsLittleEndian && MemoryMarshal.AsBytes<float>([1f]).ToArray().SequenceEqual(new byte[] { 0, 0, 0x80, 0x3F }));
}
