namespace OnnxTransfer.Imaging;

/// <summary>
/// Copies decoded pixels (1–4+ bands, 8 or 16 bits) into upright interleaved 8-bit RGB in one pass: applies the EXIF
/// orientation while copying (no rotated intermediate), expands grey, and drops or flattens alpha.
/// </summary>
/// <remarks>
/// Bands are read as: 1 grey, 2 grey + alpha, 3 RGB, 4 RGB + alpha, 5 or more: the first three are RGB and the rest are
/// ignored. 16-bit samples keep their high byte, as PIL does for 16-bit RGB PNGs ("RGB;16B").
/// </remarks>
internal static class UprightRgbWriter
{
    /// <summary>The upright size of a stored <paramref name="width"/> × <paramref name="height"/> image.</summary>
    internal static (int Width, int Height) UprightSize(int width, int height, int orientation) =>
        orientation is >= 5 and <= 8 ? (height, width) : (width, height);

    internal static unsafe void Write(void* source, int width, int height, int bands, bool sixteenBit, int orientation,
        AlphaHandling alpha, RgbColor background, Span<byte> destination)
    {
        if (orientation is < 1 or > 8) orientation = 1;
        var (outWidth, outHeight) = UprightSize(width, height, orientation);
        if (destination.Length < outWidth * outHeight * 3)
            throw new ArgumentException("destination is too small", nameof(destination));
        var flatten = alpha == AlphaHandling.Flatten && bands is 2 or 4;

        fixed (byte* output = destination)
        {
            for (var outY = 0; outY < outHeight; outY++)
            {
                // Where output row outY starts in the stored image, and how far one output pixel to the right moves there.
                var (startX, startY, stepX, stepY) = orientation switch
                {
                    1 => (0, outY, 1, 0),
                    2 => (width - 1, outY, -1, 0),
                    3 => (width - 1, height - 1 - outY, -1, 0),
                    4 => (0, height - 1 - outY, 1, 0),
                    5 => (outY, 0, 0, 1),
                    6 => (outY, height - 1, 0, -1),
                    7 => (width - 1 - outY, height - 1, 0, -1),
                    _ => (width - 1 - outY, 0, 0, 1),
                };
                var start = ((long)startY * width + startX) * bands;
                var step = ((long)stepY * width + stepX) * bands;
                var row = output + (long)outY * outWidth * 3;
                if (sixteenBit)
                    WriteRow((ushort*)source + start, step, bands, outWidth, flatten, background, row);
                else
                    WriteRow((byte*)source + start, step, bands, outWidth, flatten, background, row);
            }
        }
    }

    private static unsafe void WriteRow<T>(T* pixel, long step, int bands, int count, bool flatten, RgbColor background, byte* row)
        where T : unmanaged
    {
        if (typeof(T) == typeof(byte) && bands == 3 && step == 3)
        {
            Buffer.MemoryCopy(pixel, row, count * 3L, count * 3L); // the common case: RGB, upright
            return;
        }
        for (var x = 0; x < count; x++, pixel += step, row += 3)
        {
            int r, g, b;
            if (bands >= 3) { r = Sample(pixel, 0); g = Sample(pixel, 1); b = Sample(pixel, 2); }
            else { r = g = b = Sample(pixel, 0); }
            if (flatten)
            {
                var a = Sample(pixel, bands - 1);
                r = Blend(r, background.R, a);
                g = Blend(g, background.G, a);
                b = Blend(b, background.B, a);
            }
            row[0] = (byte)r;
            row[1] = (byte)g;
            row[2] = (byte)b;
        }
    }

    private static unsafe int Sample<T>(T* pixel, int band) where T : unmanaged =>
        typeof(T) == typeof(ushort) ? ((ushort*)pixel)[band] >> 8 : ((byte*)pixel)[band];

    /// <summary>Straight (not premultiplied) alpha over an opaque background, rounded.</summary>
    private static int Blend(int colour, int background, int alpha) => (colour * alpha + background * (255 - alpha) + 127) / 255;
}
