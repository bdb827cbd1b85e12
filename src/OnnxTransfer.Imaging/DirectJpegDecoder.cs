using System.Runtime.InteropServices;
using System.Buffers;
using OnnxTransfer.Imaging.Native;

namespace OnnxTransfer.Imaging;

/// <summary>
/// Decodes plain JPEGs (YCbCr, RGB or grey; clean data) with libjpeg-turbo's TurboJPEG API straight into the pooled RGB
/// buffer, skipping libvips' pipeline around the same library: loader probing, operation objects, EXIF-to-metadata
/// parsing, its thread pool and line cache. That pipeline costs about as much again as the JPEG decode itself for
/// dataset-sized photos. Pixels are the same bytes: the same libjpeg-turbo, the same defaults (accurate integer IDCT,
/// fancy upsampling) and the same DCT scaling for shrink-on-load (tests compare the two paths byte for byte).
/// </summary>
/// <remarks>
/// Anything else returns null and goes through libvips: CMYK/YCCK (ICC conversion), files TurboJPEG has any warning or
/// error about (libvips' <c>fail_on</c> rules decide what is truncated or corrupt), EXIF this reader is unsure of, too
/// many pixels (libvips' path raises the error), or no libturbojpeg installed.
/// </remarks>
internal static class DirectJpegDecoder
{
    private static readonly bool Available = Probe();

    [ThreadStatic] private static TurboJpegHandle? _handle;

    /// <summary>Whether libturbojpeg was found (tools/setup.sh installs it; without it every JPEG goes through libvips).</summary>
    internal static bool IsAvailable => Available;

    /// <summary>The libturbojpeg file in use, or null when there is none.</summary>
    internal static string? LibraryPath => Available ? NativeLibraryNames.TurboJpegPath ?? TurboJpeg.Library : null;

    internal static unsafe DecodedImage? TryDecode(byte* data, ReadOnlySpan<byte> encoded, ImageDecoderOptions options,
        IResizePlanner? planner)
    {
        if (!Available) return null;
        var orientation = 1;
        if (options.AutoRotate && !JpegExifOrientation.TryRead(encoded, out orientation)) return null;
        var handle = _handle ??= TurboJpegHandle.Create();
        if (handle is null) return null;

        var size = new CULong((nuint)encoded.Length);
        var raw = handle.DangerousGetHandle();
        if (!handle.Succeeded(TurboJpeg.DecompressHeader3(raw, data, size, out var storedWidth, out var storedHeight, out _, out var colorSpace), out _))
            return null;
        if ((TurboJpeg.ColorSpace)colorSpace is not (TurboJpeg.ColorSpace.YCbCr or TurboJpeg.ColorSpace.Rgb or TurboJpeg.ColorSpace.Gray))
            return null;
        if ((long)storedWidth * storedHeight > options.MaxPixels) return null;

        var shrink = ImageDecoder.ChooseShrink(options, ImageFormat.Jpeg, storedWidth, storedHeight, orientation, planner);
        // libjpeg's DCT scaling yields ceil(size / shrink) pixels; libvips' shrink-on-load keeps floor(size / shrink) of
        // them (its loaders all round down), dropping the last, partial column and row. So do we.
        var scaledWidth = (storedWidth + shrink - 1) / shrink;
        var scaledHeight = (storedHeight + shrink - 1) / shrink;
        var width = storedWidth / shrink;
        var height = storedHeight / shrink;
        if (width < 1 || height < 1) return null;
        var (outWidth, outHeight) = UprightRgbWriter.UprightSize(width, height, orientation);
        var output = ArrayPool<byte>.Shared.Rent(outWidth * outHeight * 3);
        var direct = orientation == 1 && scaledWidth == width;
        var decoded = direct ? output : ArrayPool<byte>.Shared.Rent(scaledWidth * scaledHeight * 3);
        var succeeded = false;
        try
        {
            fixed (byte* pixels = decoded)
            {
                if (!handle.Succeeded(TurboJpeg.Decompress2(raw, data, size, pixels, scaledWidth, scaledWidth * 3, scaledHeight,
                        TurboJpeg.PixelFormatRgb, 0), out _))
                    return null;
                if (!direct)
                {
                    if (scaledWidth != width) DropLastColumn(decoded, scaledWidth, width, height);
                    if (orientation == 1) decoded.AsSpan(0, width * height * 3).CopyTo(output);
                    else UprightRgbWriter.Write(pixels, width, height, 3, false, orientation, options.Alpha, options.Background, output);
                }
            }
            succeeded = true;
            return new DecodedImage(output, outWidth, outHeight, ImageFormat.Jpeg, storedWidth, storedHeight, shrink, orientation,
                hadAlpha: false) { DecodedDirectly = true };
        }
        finally
        {
            if (!direct) ArrayPool<byte>.Shared.Return(decoded);
            if (!succeeded) ArrayPool<byte>.Shared.Return(output);
        }
    }

    /// <summary>Packs rows of <paramref name="scaledWidth"/> pixels into rows of <paramref name="width"/>, in place.</summary>
    private static void DropLastColumn(byte[] pixels, int scaledWidth, int width, int height)
    {
        for (var y = 1; y < height; y++)
            pixels.AsSpan(y * scaledWidth * 3, width * 3).CopyTo(pixels.AsSpan(y * width * 3, width * 3));
    }

    private static bool Probe()
    {
        NativeLibraryNames.RegisterResolver();
        try
        {
            using var handle = TurboJpegHandle.Create();
            return handle is not null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}
