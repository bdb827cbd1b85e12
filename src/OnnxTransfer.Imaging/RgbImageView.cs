namespace OnnxTransfer.Imaging;

/// <summary>8-bit RGB pixels, interleaved, row after row without padding: the input of <see cref="ImagePreprocessor"/>.</summary>
public readonly ref struct RgbImageView
{
    public RgbImageView(ReadOnlySpan<byte> pixels, int width, int height)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"An image needs at least one pixel; got {width}×{height}.");
        if (pixels.Length != (long)width * height * 3)
            throw new ArgumentException(
                $"An RGB image of {width}×{height} needs {(long)width * height * 3} bytes; got {pixels.Length}.", nameof(pixels));
        Pixels = pixels;
        Width = width;
        Height = height;
    }

    public ReadOnlySpan<byte> Pixels { get; }
    public int Width { get; }
    public int Height { get; }
}
