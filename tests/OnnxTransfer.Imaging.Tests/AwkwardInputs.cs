using OnnxTransfer.Imaging.Native;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// A folder of broken and awkward image files, written at test time (from real images and libvips' savers), shared by
/// the decoder tests.
/// </summary>
internal sealed class AwkwardInputs : IDisposable
{
    internal const int Width = 40, Height = 30;

    /// <summary>Stored-image quadrant colours: the "marked corner" is the red top-left.</summary>
    internal static readonly byte[] Red = [255, 0, 0], Green = [0, 255, 0], Blue = [0, 0, 255], White = [255, 255, 255];

    private readonly TempDirectory _directory = new("onnxtransfer-imaging");

    internal AwkwardInputs()
    {
        var jpeg = File.ReadAllBytes(SharedData.ReferenceImage("rocket"));
        Write("empty.jpg", []);
        Write("truncated.jpg", jpeg[..(jpeg.Length / 2)]);
        Write("header-only.jpg", jpeg[..300]);
        Write("text.jpg", "This is a text file that claims to be a JPEG.\n"u8.ToArray());
        Write("html.png", "<!DOCTYPE html><html><body>404 Not Found</body></html>"u8.ToArray());
        Write("bomb.png", TestImageWriter.PngClaiming(100_000, 100_000));
        Write("corrupt.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. Enumerable.Repeat((byte)0x5A, 200), 0xFF, 0xD9]);

        var solid = TestImageWriter.Solid(Width, Height, 200, 100, 50);
        Write("cmyk.jpg", TestImageWriter.Save(solid, Width, Height, 3, "jpegsave_buffer", "Q=95",
            image => TestImageWriter.Apply(image, "colourspace", "space=cmyk")));
        Write("rgb16.png", TestImageWriter.Save16(Repeat16([0x1234, 0xABCD, 0xFFFF], Width * Height), Width, Height, 3, "pngsave_buffer", "bitdepth=16"));
        Write("grey.png", TestImageWriter.Save(TestImageWriter.Solid(Width, Height, 77), Width, Height, 1, "pngsave_buffer"));
        Write("grey.jpg", TestImageWriter.Save(TestImageWriter.Solid(Width, Height, 77), Width, Height, 1, "jpegsave_buffer", "Q=95"));
        Write("rgba.png", TestImageWriter.Save(HalfAndHalfAlpha(), Width, Height, 4, "pngsave_buffer"));
        Write("palette.png", TestImageWriter.Save(Quadrants(), Width, Height, 3, "pngsave_buffer", "palette=true,dither=0"));
        Write("quadrants.webp", TestImageWriter.Save(Quadrants(), Width, Height, 3, "webpsave_buffer", "lossless=true"));
        Write("quadrants.tif", TestImageWriter.Save(Quadrants(), Width, Height, 3, "tiffsave_buffer"));
        Write("quadrants.gif", TestImageWriter.Save(Quadrants(), Width, Height, 3, "gifsave_buffer"));
        Write("quadrants.bmp", TestImageWriter.Bmp24(Quadrants(), Width, Height));
        for (var orientation = 1; orientation <= 8; orientation++)
        {
            var tag = orientation;
            Write($"orientation-{orientation}.jpg", TestImageWriter.Save(Quadrants(), Width, Height, 3, "jpegsave_buffer", "Q=100",
                image =>
                {
                    LibVips.ImageSetInt(image.DangerousGetHandle(), "orientation", tag);
                    return image;
                }));
        }
    }

    internal string this[string name] => _directory.File(name);

    internal byte[] Bytes(string name) => File.ReadAllBytes(this[name]);

    /// <summary>Top-left red, top-right green, bottom-left blue, bottom-right white.</summary>
    internal static byte[] Quadrants()
    {
        var pixels = new byte[Width * Height * 3];
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
        {
            var colour = y < Height / 2 ? (x < Width / 2 ? Red : Green) : (x < Width / 2 ? Blue : White);
            colour.CopyTo(pixels, (y * Width + x) * 3);
        }
        return pixels;
    }

    /// <summary>RGBA: left half (10, 20, 30) fully transparent, right half (200, 100, 50) at alpha 128.</summary>
    internal static byte[] HalfAndHalfAlpha()
    {
        var pixels = new byte[Width * Height * 4];
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
            (x < Width / 2 ? new byte[] { 10, 20, 30, 0 } : [200, 100, 50, 128]).CopyTo(pixels, (y * Width + x) * 4);
        return pixels;
    }

    private static ushort[] Repeat16(ushort[] pixel, int count)
    {
        var values = new ushort[pixel.Length * count];
        for (var i = 0; i < values.Length; i++) values[i] = pixel[i % pixel.Length];
        return values;
    }

    private void Write(string name, byte[] bytes) => File.WriteAllBytes(this[name], bytes);

    public void Dispose() => _directory.Dispose();
}
