using System.Buffers;

namespace OnnxTransfer.Imaging;

/// <summary>
/// An upright 8-bit sRGB image in a pooled buffer. Dispose it to hand the buffer back; <see cref="Pixels"/> must not be
/// used afterwards.
/// </summary>
public sealed class DecodedImage : IDisposable
{
    private byte[]? _buffer;

    internal DecodedImage(byte[] buffer, int width, int height, ImageFormat format, int storedWidth, int storedHeight,
        int shrinkFactor, int orientation, bool hadAlpha)
    {
        _buffer = buffer;
        Width = width;
        Height = height;
        Format = format;
        StoredWidth = storedWidth;
        StoredHeight = storedHeight;
        ShrinkFactor = shrinkFactor;
        Orientation = orientation;
        HadAlpha = hadAlpha;
    }

    public int Width { get; }
    public int Height { get; }
    public ImageFormat Format { get; }

    /// <summary>Width as stored in the file, before shrink-on-load and rotation.</summary>
    public int StoredWidth { get; }

    /// <summary>Height as stored in the file, before shrink-on-load and rotation.</summary>
    public int StoredHeight { get; }

    /// <summary>1, or the JPEG shrink-on-load factor (2, 4, 8) that was used.</summary>
    public int ShrinkFactor { get; }

    /// <summary>The EXIF orientation that was applied (1 = none).</summary>
    public int Orientation { get; }

    /// <summary>The file had an alpha channel (dropped or flattened as the options said).</summary>
    public bool HadAlpha { get; }

    /// <summary>Decoded by TurboJPEG directly rather than through libvips (the same pixels; tests check which path ran).</summary>
    internal bool DecodedDirectly { get; init; }

    /// <summary>RGB, interleaved, <see cref="Width"/> × 3 bytes a row.</summary>
    public ReadOnlySpan<byte> Pixels =>
        (_buffer ?? throw new ObjectDisposedException(nameof(DecodedImage))).AsSpan(0, Width * Height * 3);

    public RgbImageView View => new(Pixels, Width, Height);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
