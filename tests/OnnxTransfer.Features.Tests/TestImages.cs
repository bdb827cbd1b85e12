using System.Buffers.Binary;
using System.IO.Compression;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Image files written at test time from the format specifications (PNG: RFC 2083; JPEG: ITU T.81 baseline with an
/// Adobe APP14 marker; Exif: CIPA DC-008), so the tests need no binary fixtures and no image library.
/// </summary>
internal static class TestImages
{
    /// <summary>A PNG of 8-bit grey (1 channel), RGB (3), RGBA (4), or 16-bit (<paramref name="sixteenBit"/>, big-endian samples).</summary>
    public static byte[] Png(byte[] samples, int width, int height, int channels, bool sixteenBit = false)
    {
        var colourType = channels switch { 1 => 0, 3 => 2, 4 => 6, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        var bytesPerPixel = channels * (sixteenBit ? 2 : 1);
        if (samples.Length != width * height * bytesPerPixel) throw new ArgumentException("sample count does not match the size");
        var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            raw.Write(samples, y * width * bytesPerPixel, width * bytesPerPixel);
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw.ToArray());
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)(sixteenBit ? 16 : 8);
        header[9] = (byte)colourType;
        return PngFile(header, compressed.ToArray());
    }

    /// <summary>A PNG whose header announces <paramref name="width"/> × <paramref name="height"/> RGB over a few bytes of data.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[64]);
        return PngFile(header, compressed.ToArray());
    }

    /// <summary>
    /// A baseline CMYK JPEG of one flat colour, written as Adobe software does (APP14 "Adobe", transform 0, inverted
    /// ink values: 255 = no ink). Every 8×8 block is flat, so each block is just a DC coefficient followed by EOB.
    /// </summary>
    public static byte[] CmykJpeg(int width, int height, byte c, byte m, byte y, byte k)
    {
        var stored = new[] { (byte)(255 - c), (byte)(255 - m), (byte)(255 - y), (byte)(255 - k) };
        var output = new MemoryStream();
        void Marker(int code, ReadOnlySpan<byte> payload)
        {
            output.WriteByte(0xFF);
            output.WriteByte((byte)code);
            output.WriteByte((byte)((payload.Length + 2) >> 8));
            output.WriteByte((byte)(payload.Length + 2));
            output.Write(payload);
        }
        output.Write([0xFF, 0xD8]);
        Marker(0xEE, [.. "Adobe"u8, 0, 100, 0, 0, 0, 0, 0]);
        Marker(0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]); // quantisation table 0: all ones
        Marker(0xC0, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
        Marker(0xC4, [0x00, .. DcBits, .. DcValues, 0x10, 1, .. new byte[15], 0x00]); // DC table 0 (Annex K.3), AC table 0: only EOB
        Marker(0xDA, [4, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0, 63, 0]);

        var dcCodes = HuffmanCodes(DcBits, DcValues);
        var bits = new BitWriter(output);
        var previous = new int[4];
        var blocks = ((width + 7) / 8) * ((height + 7) / 8);
        for (var b = 0; b < blocks; b++)
        for (var component = 0; component < 4; component++)
        {
            var dc = 8 * (stored[component] - 128); // the 2-D DCT of a flat block, quantised by 1
            var diff = dc - previous[component];
            previous[component] = dc;
            var size = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
            var (code, length) = dcCodes[size];
            bits.Write(code, length);
            if (size > 0) bits.Write(diff > 0 ? diff : diff + (1 << size) - 1, size);
            bits.Write(0, 1); // EOB: the one-symbol AC table's code "0"
        }
        bits.Flush();
        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    /// <summary>A copy of a JPEG with an Exif APP1 segment holding only the Orientation tag (placed after SOI/JFIF).</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ArgumentException("not a JPEG");
        // TIFF header (little-endian), one IFD with one entry: 0x0112 Orientation, SHORT, count 1.
        var tiff = new byte[8 + 2 + 12 + 4];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(10), 0x0112);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(12), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(18), (ushort)orientation);
        var payload = (byte[])[.. "Exif\0\0"u8, .. tiff];
        var insertAt = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) insertAt = 4 + (jpeg[4] << 8 | jpeg[5]); // keep JFIF APP0 first
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        segment[2] = (byte)((payload.Length + 2) >> 8);
        segment[3] = (byte)(payload.Length + 2);
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, insertAt), .. segment, .. jpeg.AsSpan(insertAt)];
    }

    /// <summary>RGB pixels turned 90° clockwise (what EXIF orientation 6 asks a viewer to do).</summary>
    public static byte[] RotateClockwise(ReadOnlySpan<byte> rgb, int width, int height)
    {
        var rotated = new byte[rgb.Length];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            // Source (x, y) goes to column (height - 1 - y), row x of a height-wide image.
            var target = (x * height + (height - 1 - y)) * 3;
            rgb.Slice((y * width + x) * 3, 3).CopyTo(rotated.AsSpan(target, 3));
        }
        return rotated;
    }

    private static readonly byte[] DcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] DcValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    /// <summary>Canonical Huffman codes from the DHT counts (T.81 Annex C): symbol → (code, length).</summary>
    private static Dictionary<int, (int Code, int Length)> HuffmanCodes(byte[] bits, byte[] values)
    {
        var codes = new Dictionary<int, (int, int)>();
        int code = 0, k = 0;
        for (var length = 1; length <= 16; length++)
        {
            for (var i = 0; i < bits[length - 1]; i++) codes[values[k++]] = (code++, length);
            code <<= 1;
        }
        return codes;
    }

    private sealed class BitWriter(Stream output)
    {
        private int _buffer, _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8) Emit();
            }
        }

        /// <summary>Pads the last byte with 1-bits (T.81 F.1.2.3).</summary>
        public void Flush()
        {
            while (_count != 0) Write(1, 1);
        }

        private void Emit()
        {
            output.WriteByte((byte)_buffer);
            if (_buffer == 0xFF) output.WriteByte(0); // byte stuffing
            _buffer = 0;
            _count = 0;
        }
    }

    private static byte[] PngFile(byte[] header, byte[] data)
    {
        var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(stream, "IHDR", header);
        Chunk(stream, "IDAT", data);
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] payload)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, payload.Length);
        stream.Write(word);
        var typed = new byte[4 + payload.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        payload.CopyTo(typed, 4);
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        stream.Write(word);
    }

    /// <summary>CRC-32 (ISO 3309 / PNG), bitwise.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
