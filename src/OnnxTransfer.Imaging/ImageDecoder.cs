using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using OnnxTransfer.Imaging.Native;

namespace OnnxTransfer.Imaging;

/// <summary>
/// Decodes image files or bytes with libvips into upright 8-bit sRGB (<see cref="DecodedImage"/>). Thread-safe: one
/// decoder serves any number of worker threads.
/// </summary>
/// <remarks>
/// Plain JPEGs (nearly every dataset photo) take a shorter road to the same pixels: <see cref="DirectJpegDecoder"/>
/// calls libjpeg-turbo directly; everything else, and any JPEG it is unsure of, goes through libvips.
/// Steps: sniff the bytes → find libvips' loader → read only the header (libvips is lazy) → refuse if too many pixels →
/// pick a JPEG shrink-on-load factor → convert CMYK/Lab/float images to sRGB inside libvips (CMYK through the embedded
/// ICC profile, else libvips' default CMYK profile) → decode → copy into RGB with orientation and alpha applied.
/// Embedded ICC profiles of RGB images are ignored, as PIL's <c>convert('RGB')</c> ignores them.
/// Every failure becomes an <see cref="ImageDecodeException"/> with a reason code; libvips' error buffer is emptied.
/// </remarks>
public sealed class ImageDecoder
{
    private static readonly ConcurrentDictionary<nint, string> LoaderNicknames = new();
    private readonly string _loadOptions;

    public ImageDecoder(ImageDecoderOptions? options = null)
    {
        Options = options ?? new ImageDecoderOptions();
        Options.Validate();
        VipsRuntime.EnsureInitialized();
        // Sequential access: we read every image once, top to bottom, so libvips can stream rows instead of
        // decoding into an intermediate whole-image buffer first.
        _loadOptions = $"access=sequential,fail_on={(Options.FailOnTruncated ? "truncated" : "none")}";
    }

    public ImageDecoderOptions Options { get; }

    /// <summary>
    /// The libturbojpeg that decodes plain JPEGs directly (beside the application, else the system's), or null when
    /// there is none: JPEGs then go through libvips, the same pixels at about 1.6× the cost per image (apt-get install
    /// libturbojpeg0, or tools/setup.sh).
    /// </summary>
    public static string? DirectJpegLibrary => DirectJpegDecoder.LibraryPath;

    /// <summary>
    /// Decodes the file at <paramref name="path"/>. With a <paramref name="resizePlanner"/> (the preprocessor), big JPEGs
    /// may be shrunk on load; see <see cref="ImageDecoderOptions.ShrinkOnLoad"/>.
    /// </summary>
    public DecodedImage Decode(string path, IResizePlanner? resizePlanner = null)
    {
        var buffer = ReadFile(path, out var length);
        try { return DecodeCore(buffer.AsSpan(0, length), path, resizePlanner); }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>Decodes encoded bytes; <paramref name="inputName"/> names them in errors.</summary>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, IResizePlanner? resizePlanner = null, string inputName = "<bytes>") =>
        DecodeCore(encoded, inputName, resizePlanner);

    private byte[] ReadFile(string path, out int length)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var size = RandomAccess.GetLength(file);
            if (size == 0) throw new ImageDecodeException(ImageDecodeError.EmptyFile, path, "the file is empty (0 bytes).");
            if (size > Options.MaxFileBytes)
                throw new ImageDecodeException(ImageDecodeError.FileTooLarge, path,
                    $"the file has {size} bytes, more than ImageDecoderOptions.MaxFileBytes ({Options.MaxFileBytes}); raise it if this file is wanted.");
            var buffer = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                length = 0;
                int read;
                while (length < size && (read = RandomAccess.Read(file, buffer.AsSpan(length, (int)size - length), length)) > 0)
                    length += read;
                if (length == 0) throw new ImageDecodeException(ImageDecodeError.EmptyFile, path, "the file is empty (0 bytes).");
                return buffer;
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(ImageDecodeError.NotFound, path, "no such file.", innerException: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ImageDecodeException(ImageDecodeError.IoError, path, $"the file could not be read: {e.Message}", innerException: e);
        }
    }

    private unsafe DecodedImage DecodeCore(ReadOnlySpan<byte> encoded, string source, IResizePlanner? resizePlanner)
    {
        if (encoded.IsEmpty) throw new ImageDecodeException(ImageDecodeError.EmptyFile, source, "the data is empty (0 bytes).");
        var sniffed = EncodedImageSniffer.Identify(encoded);

        // libvips reads the blob lazily, so the bytes stay pinned until every image made from them is disposed.
        fixed (byte* data = encoded)
        {
            if (sniffed == ImageFormat.Jpeg && Options.DirectJpeg && Options.AllowedFormats.Contains(ImageFormat.Jpeg) &&
                DirectJpegDecoder.TryDecode(data, encoded, Options, resizePlanner) is { } direct)
                return direct;

            var loader = FindLoader(data, encoded, sniffed, source);
            var format = FormatOf(loader, sniffed);
            if (!Options.AllowedFormats.Contains(format))
                throw new ImageDecodeException(ImageDecodeError.UnsupportedFormat, source,
                    format == ImageFormat.Unknown
                        ? $"a format only libvips' '{loader}' recognises; it is not in ImageDecoderOptions.AllowedFormats."
                        : $"{format} images are not in ImageDecoderOptions.AllowedFormats; add ImageFormat.{format} to decode them.");

            var image = LoadHeader(loader, data, encoded, sniffed, source, shrink: 1);
            try
            {
                var storedWidth = image.Width;
                var storedHeight = image.Height;
                if ((long)storedWidth * storedHeight > Options.MaxPixels)
                    throw new ImageDecodeException(ImageDecodeError.TooManyPixels, source,
                        $"{storedWidth}×{storedHeight} = {(long)storedWidth * storedHeight} pixels is more than ImageDecoderOptions.MaxPixels " +
                        $"({Options.MaxPixels}); refused before decoding (possible decompression bomb). Raise MaxPixels if this image is wanted.");

                var orientation = Options.AutoRotate ? Math.Clamp(image.GetIntOrNull("orientation") ?? 1, 1, 8) : 1;
                var shrink = ChooseShrink(Options, format, storedWidth, storedHeight, orientation, resizePlanner);
                if (shrink > 1)
                {
                    image.Dispose();
                    image = LoadHeader(loader, data, encoded, sniffed, source, shrink);
                }

                image = ToDecodableColour(image, source);
                return CopyPixels(image, encoded, sniffed, source, format, storedWidth, storedHeight, shrink, orientation);
            }
            finally
            {
                image.Dispose();
            }
        }
    }

    private static unsafe string FindLoader(byte* data, ReadOnlySpan<byte> encoded, ImageFormat sniffed, string source)
    {
        var className = LibVips.ForeignFindLoadBuffer(data, (nuint)encoded.Length);
        if (className != 0) return LoaderNicknames.GetOrAdd(className, NicknameOf);

        var message = VipsErrors.TakeMessage();
        if (sniffed == ImageFormat.Unknown)
            throw new ImageDecodeException(ImageDecodeError.NotAnImage, source,
                $"not an image: no known image signature in the first bytes ({Describe(encoded)}).", message);
        if (sniffed is ImageFormat.Jpeg or ImageFormat.Png or ImageFormat.Gif or ImageFormat.WebP or ImageFormat.Tiff)
            // libvips reads these formats, so not recognising this one means its header is damaged or cut.
            throw new ImageDecodeException(EncodedImageSniffer.LooksTruncated(sniffed, encoded) ? ImageDecodeError.Truncated : ImageDecodeError.Corrupt,
                source, $"a {sniffed} signature, but libvips cannot read its header ({encoded.Length} bytes).", message);
        throw new ImageDecodeException(ImageDecodeError.UnsupportedFormat, source,
            $"a {sniffed} image, which this libvips build has no loader for (libvips {VipsRuntime.Version})" +
            (VipsRuntime.IsBundled
                ? "; the bundled libvips has no ImageMagick module (BMP and rarer formats): convert the file, or install the " +
                  "system's (apt-get install libvips42) and set ONNXTRANSFER_LIBVIPS=system."
                : "."), message);
    }

    private static string NicknameOf(nint className)
    {
        var name = Marshal.PtrToStringUTF8(className)!;
        var nickname = LibVips.NicknameFind(LibVips.GTypeFromName(name));
        return nickname != 0 ? Marshal.PtrToStringUTF8(nickname)! : name;
    }

    /// <summary>The format by loader, refined by the signature where one loader serves many (ImageMagick, HEIF).</summary>
    private static ImageFormat FormatOf(string loader, ImageFormat sniffed) => loader switch
    {
        "jpegload_buffer" => ImageFormat.Jpeg,
        "pngload_buffer" => ImageFormat.Png,
        "gifload_buffer" => ImageFormat.Gif,
        "webpload_buffer" => ImageFormat.WebP,
        "tiffload_buffer" => ImageFormat.Tiff,
        "heifload_buffer" => sniffed == ImageFormat.Avif ? ImageFormat.Avif : ImageFormat.Heif,
        "jxlload_buffer" => ImageFormat.JpegXl,
        "jp2kload_buffer" => ImageFormat.Jpeg2000,
        "svgload_buffer" => ImageFormat.Svg,
        "pdfload_buffer" => ImageFormat.Pdf,
        _ => sniffed, // magickload_buffer and anything newer: trust the signature (Unknown when there is none)
    };

    private unsafe VipsImageHandle LoadHeader(string loader, byte* data, ReadOnlySpan<byte> encoded, ImageFormat sniffed, string source, int shrink)
    {
        try
        {
            using var call = new VipsOperationCall(loader);
            call.SetBlob("buffer", data, (nuint)encoded.Length);
            call.SetOptions(shrink > 1 ? $"{_loadOptions},shrink={shrink}" : _loadOptions);
            call.Build();
            return call.GetImage("out");
        }
        catch (VipsException e)
        {
            throw PixelFailure(e, encoded, sniffed, source, "its header could not be read");
        }
    }

    /// <summary>The largest JPEG shrink (2, 4, 8) that keeps the image at least twice the planned resize, or 1.</summary>
    internal static int ChooseShrink(ImageDecoderOptions options, ImageFormat format, int storedWidth, int storedHeight, int orientation,
        IResizePlanner? planner)
    {
        if (!options.ShrinkOnLoad || planner is null || format != ImageFormat.Jpeg) return 1;
        var (width, height) = UprightRgbWriter.UprightSize(storedWidth, storedHeight, orientation);
        var (targetWidth, targetHeight) = planner.ResizedSize(width, height);
        for (var shrink = 8; shrink >= 2; shrink /= 2)
            if (width / shrink >= 2L * targetWidth && height / shrink >= 2L * targetHeight)
                return shrink;
        return 1;
    }

    /// <summary>
    /// Leaves 8/16-bit grey and RGB (± alpha) as they are, for the managed copy; converts anything else (CMYK, Lab,
    /// float, coded) to 8-bit sRGB inside libvips.
    /// </summary>
    private static VipsImageHandle ToDecodableColour(VipsImageHandle image, string source)
    {
        var interpretation = image.Interpretation;
        var format = image.Format;
        var plain = !image.IsCoded && format is VipsBandFormat.UChar or VipsBandFormat.UShort &&
                    interpretation is VipsInterpretation.BW or VipsInterpretation.Srgb or VipsInterpretation.Rgb or
                        VipsInterpretation.Rgb16 or VipsInterpretation.Grey16 or VipsInterpretation.Multiband;
        if (plain) return image;

        try
        {
            var converted = Run(image, "colourspace", "space=srgb");
            if (converted.Format != VipsBandFormat.UChar)
            {
                var cast = Run(converted, "cast", "format=uchar");
                converted.Dispose();
                converted = cast;
            }
            image.Dispose();
            return converted;
        }
        catch (VipsException e)
        {
            image.Dispose();
            throw new ImageDecodeException(ImageDecodeError.UnsupportedPixelFormat, source,
                $"{interpretation} pixels ({format}) could not be converted to sRGB.", e.NativeMessage, e);
        }
    }

    private static VipsImageHandle Run(VipsImageHandle input, string operation, string options)
    {
        using var call = new VipsOperationCall(operation);
        call.SetImage("in", input);
        call.SetOptions(options);
        call.Build();
        return call.GetImage("out");
    }

    private unsafe DecodedImage CopyPixels(VipsImageHandle image, ReadOnlySpan<byte> encoded, ImageFormat sniffed, string source,
        ImageFormat format, int storedWidth, int storedHeight, int shrink, int orientation)
    {
        var width = image.Width;
        var height = image.Height;
        var bands = image.Bands;
        var sampleFormat = image.Format;
        var sixteenBit = sampleFormat == VipsBandFormat.UShort;
        var decodedLength = (long)width * height * bands * (sixteenBit ? 2 : 1);
        if (decodedLength > Array.MaxLength)
            throw new ImageDecodeException(ImageDecodeError.TooManyPixels, source,
                $"{width}×{height} with {bands} {(sixteenBit ? "16" : "8")}-bit bands does not fit one buffer; lower ImageDecoderOptions.MaxPixels.");

        var (outWidth, outHeight) = UprightRgbWriter.UprightSize(width, height, orientation);
        var output = ArrayPool<byte>.Shared.Rent(outWidth * outHeight * 3);
        // Upright 8-bit RGB (nearly every photo) is decoded straight into the result; anything else into a scratch
        // buffer first, then converted. Pooled managed buffers stay warm, unlike a fresh native allocation per image.
        var direct = bands == 3 && !sixteenBit && orientation == 1;
        var decoded = direct ? output : ArrayPool<byte>.Shared.Rent((int)decodedLength);
        try
        {
            fixed (byte* pixels = decoded)
            {
                DecodeInto(image, pixels, decodedLength, width, height, bands, sampleFormat, encoded, sniffed, source);
                if (!direct)
                    UprightRgbWriter.Write(pixels, width, height, bands, sixteenBit, orientation, Options.Alpha, Options.Background, output);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
        finally
        {
            if (!direct) ArrayPool<byte>.Shared.Return(decoded);
        }
        return new DecodedImage(output, outWidth, outHeight, format, storedWidth, storedHeight, shrink, orientation,
            hadAlpha: bands is 2 or 4);
    }

    /// <summary>
    /// Runs the decode (this is where the pixels are actually computed, and where a cut or damaged file fails),
    /// writing them into <paramref name="target"/> through a libvips image that wraps it.
    /// </summary>
    /// <remarks>
    /// The pixels are computed on the calling thread: a region of the image is prepared straight into a region attached
    /// to <paramref name="target"/>. <c>vips_image_write</c> would hand the work to libvips' thread pool instead, one
    /// strip at a time, with a semaphore round trip per strip (about 200 futex calls per photo, measured with
    /// <c>strace -f -c</c>). Our callers are already one thread per image, so the hand-off adds only a second thread per
    /// decode and the round trips: on the calling thread a photo costs about 40 futex calls (uncontended wake-ups) and
    /// 13 % less time on one thread. Whether the hand-off was part of the poor 16-thread scaling seen on an H100 machine
    /// is not measured yet (the bench's <c>decode through libvips</c> stage will show it).
    /// </remarks>
    private static unsafe void DecodeInto(VipsImageHandle image, byte* target, long length, int width, int height, int bands,
        VipsBandFormat sampleFormat, ReadOnlySpan<byte> encoded, ImageFormat sniffed, string source)
    {
        var wrapper = LibVips.ImageNewFromMemory(target, (nuint)length, width, height, bands, sampleFormat);
        if (wrapper == 0) throw new VipsException("vips_image_new_from_memory", VipsErrors.TakeMessage());
        using var memory = new VipsImageHandle(wrapper);
        using var destination = new GObjectHandle(VipsErrors.CheckPointer(LibVips.RegionNew(memory.DangerousGetHandle()), "vips_region_new"));
        using var pixels = new GObjectHandle(VipsErrors.CheckPointer(LibVips.RegionNew(image.DangerousGetHandle()), "vips_region_new"));
        var whole = new VipsRect(0, 0, width, height);
        VipsErrors.Check(LibVips.RegionImage(destination.DangerousGetHandle(), &whole), "vips_region_image");
        if (LibVips.RegionPrepareTo(pixels.DangerousGetHandle(), destination.DangerousGetHandle(), &whole, 0, 0) != 0)
            throw PixelFailure(VipsErrors.Failure("decode"), encoded, sniffed, source, "its pixels could not be decoded");
    }

    /// <summary>Truncated when the bytes say so (a missing end marker), else from libvips' words, else corrupt.</summary>
    private static ImageDecodeException PixelFailure(VipsException error, ReadOnlySpan<byte> encoded, ImageFormat sniffed, string source, string what)
    {
        var message = error.NativeMessage;
        var truncated = EncodedImageSniffer.LooksTruncated(sniffed, encoded) ||
                        message.Contains("truncated", StringComparison.OrdinalIgnoreCase) ||
                        message.Contains("premature end", StringComparison.OrdinalIgnoreCase) ||
                        message.Contains("unexpected end", StringComparison.OrdinalIgnoreCase);
        return truncated
            ? new ImageDecodeException(ImageDecodeError.Truncated, source,
                $"{what}: the data ends early ({encoded.Length} bytes; file cut short?).", message, error)
            : new ImageDecodeException(ImageDecodeError.Corrupt, source, $"{what}: the data is damaged.", message, error);
    }

    private static string Describe(ReadOnlySpan<byte> data)
    {
        var head = data[..Math.Min(8, data.Length)];
        return Convert.ToHexString(head).ToLowerInvariant() + (data.Length > 8 ? "…" : "");
    }
}
