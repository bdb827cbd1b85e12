using OnnxTransfer.Imaging.Native;

namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// Writes test images at test time through libvips' own savers (no binary fixtures in the repository), plus a BMP
/// written by hand from the format description.
/// </summary>
internal static class TestImageWriter
{
    /// <summary>A <paramref name="width"/> × <paramref name="height"/> image filled with one pixel value (1–4 bands).</summary>
    internal static byte[] Solid(int width, int height, params byte[] pixel)
    {
        var pixels = new byte[width * height * pixel.Length];
        for (var i = 0; i < pixels.Length; i += pixel.Length) pixel.CopyTo(pixels, i);
        return pixels;
    }

    /// <summary>Saves 8-bit pixels with a libvips saver, e.g. <c>("pngsave_buffer", "compression=1")</c>.</summary>
    internal static byte[] Save(byte[] pixels, int width, int height, int bands, string saver, string options = "",
        Func<VipsImageHandle, VipsImageHandle>? transform = null)
    {
        var image = VipsImageHandle.FromPixels(pixels, width, height, bands, VipsBandFormat.UChar);
        return SaveImage(image, saver, options, transform);
    }

    /// <summary>Saves 16-bit pixels (native endianness) with a libvips saver.</summary>
    internal static byte[] Save16(ushort[] pixels, int width, int height, int bands, string saver, string options = "")
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(pixels.AsSpan());
        var image = VipsImageHandle.FromPixels(bytes, width, height, bands, VipsBandFormat.UShort);
        return SaveImage(image, saver, options, transform: null);
    }

    /// <summary>Runs one libvips operation on an image (e.g. <c>colourspace</c> with <c>space=cmyk</c>).</summary>
    internal static VipsImageHandle Apply(VipsImageHandle input, string operation, string options = "")
    {
        using var call = new VipsOperationCall(operation);
        call.SetImage("in", input);
        call.SetOptions(options);
        call.Build();
        return call.GetImage("out");
    }

    /// <summary>Decodes with libvips alone (its own <c>autorot</c> included): an oracle independent of our copy loop.</summary>
    internal static unsafe (byte[] Pixels, int Width, int Height, int Bands) DecodeWithVipsAutorot(byte[] encoded)
    {
        fixed (byte* data = encoded)
        {
            var loader = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(LibVips.ForeignFindLoadBuffer(data, (nuint)encoded.Length))!;
            using var load = new VipsOperationCall(loader);
            load.SetBlob("buffer", data, (nuint)encoded.Length);
            load.Build();
            using var image = load.GetImage("out");
            using var upright = Apply(image, "autorot");
            var pixels = LibVips.ImageGetData(upright.DangerousGetHandle());
            if (pixels == 0) throw VipsErrors.Failure("autorot");
            var length = upright.Width * upright.Height * upright.Bands;
            return (new ReadOnlySpan<byte>((void*)pixels, length).ToArray(), upright.Width, upright.Height, upright.Bands);
        }
    }

    private static byte[] SaveImage(VipsImageHandle image, string saver, string options, Func<VipsImageHandle, VipsImageHandle>? transform)
    {
        try
        {
            if (transform is not null)
            {
                var transformed = transform(image);
                if (!ReferenceEquals(transformed, image)) { image.Dispose(); image = transformed; }
            }
            using var call = new VipsOperationCall(saver);
            call.SetImage("in", image);
            call.SetOptions(options);
            call.Build();
            return call.GetBlobBytes("buffer");
        }
        finally { image.Dispose(); }
    }

    /// <summary>
    /// A 24-bit BMP written from the format description (BITMAPFILEHEADER + BITMAPINFOHEADER, bottom-up BGR rows padded
    /// to 4 bytes), independent of any library.
    /// </summary>
    internal static byte[] Bmp24(byte[] rgb, int width, int height)
    {
        var rowBytes = (width * 3 + 3) & ~3;
        var data = new byte[54 + rowBytes * height];
        var span = data.AsSpan();
        "BM"u8.CopyTo(span);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[2..], data.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[10..], 54);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[14..], 40);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[18..], width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[22..], height);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[26..], 1);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(span[28..], 24);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[34..], rowBytes * height);
        for (var y = 0; y < height; y++)
        {
            var row = span.Slice(54 + (height - 1 - y) * rowBytes, rowBytes);
            for (var x = 0; x < width; x++)
            {
                var p = (y * width + x) * 3;
                row[x * 3 + 0] = rgb[p + 2];
                row[x * 3 + 1] = rgb[p + 1];
                row[x * 3 + 2] = rgb[p + 0];
            }
        }
        return data;
    }

    /// <summary>
    /// A PNG whose IHDR (with a correct CRC) announces <paramref name="width"/> × <paramref name="height"/> RGB, followed
    /// by one tiny IDAT and IEND: a valid header over far too little data, the shape of a decompression bomb.
    /// </summary>
    internal static byte[] PngClaiming(int width, int height)
    {
        var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        WriteChunk(stream, "IHDR", ihdr);
        var idat = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(new byte[64]);
        WriteChunk(stream, "IDAT", idat.ToArray());
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] payload)
    {
        Span<byte> word = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(word, payload.Length);
        stream.Write(word);
        var typeAndData = new byte[4 + payload.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typeAndData);
        payload.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320, reflected).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFu;
    }
}
