namespace OnnxTransfer.Imaging;

/// <summary>Settings of an <see cref="ImageDecoder"/>. Defaults favour fidelity with torchvision's PIL pipeline.</summary>
public sealed record ImageDecoderOptions
{
    /// <summary>Formats that are decoded by default: raster photo formats. SVG and PDF (documents rendered with fonts) are not.</summary>
    public static readonly IReadOnlySet<ImageFormat> DefaultFormats = new HashSet<ImageFormat>
    {
        ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.Gif, ImageFormat.WebP, ImageFormat.Tiff, ImageFormat.Bmp,
        ImageFormat.Heif, ImageFormat.Avif, ImageFormat.JpegXl, ImageFormat.Jpeg2000,
    };

    /// <summary>The largest width × height accepted (checked from the header, before any pixel is decoded). 100 MP.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Files larger than this are refused before they are read. 512 MiB.</summary>
    public long MaxFileBytes { get; init; } = 512L << 20;

    /// <summary>
    /// Apply the EXIF orientation tag (what a viewer shows). Note PIL's <c>Image.open</c> does not, so a torchvision
    /// pipeline sees such photos sideways; turn this off to reproduce that exactly.
    /// </summary>
    public bool AutoRotate { get; init; } = true;

    /// <summary>Alpha is dropped by default, like PIL's <c>convert('RGB')</c>; see <see cref="AlphaHandling"/>.</summary>
    public AlphaHandling Alpha { get; init; } = AlphaHandling.Discard;

    /// <summary>The colour transparent pixels are composited on with <see cref="AlphaHandling.Flatten"/>.</summary>
    public RgbColor Background { get; init; } = RgbColor.White;

    /// <summary>
    /// Let libjpeg decode big JPEGs at 1/2, 1/4 or 1/8 size (DCT scaling), which is several times faster. Only used when
    /// the shrunk image is still at least twice the size the preprocessor will resize to, so the downscale that follows
    /// dominates and results stay close to a full decode.
    /// </summary>
    public bool ShrinkOnLoad { get; init; } = true;

    /// <summary>
    /// Refuse files whose data ends early (<c>truncated</c>), as PIL does. When false, libvips fills the missing part
    /// with grey and the image decodes.
    /// </summary>
    public bool FailOnTruncated { get; init; } = true;

    /// <summary>
    /// Decode plain JPEGs with libjpeg-turbo's TurboJPEG directly, when it is installed (see
    /// <see cref="ImageDecoder.DirectJpegLibrary"/>), instead of through libvips: the same pixels at about 0.6× the cost
    /// per photo. False sends every JPEG through libvips (to compare the two paths, or to time libvips' own).
    /// </summary>
    public bool DirectJpeg { get; init; } = true;

    /// <summary>Formats accepted; others give <c>unsupported-format</c>.</summary>
    public IReadOnlySet<ImageFormat> AllowedFormats { get; init; } = DefaultFormats;

    internal void Validate()
    {
        // 3 bytes per pixel must fit one .NET array.
        const long largestRgbImage = (long)int.MaxValue / 3;
        if (MaxPixels < 1 || MaxPixels > largestRgbImage)
            throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels,
                $"ImageDecoderOptions.MaxPixels must be between 1 and {largestRgbImage} (an RGB image must fit one array).");
        if (MaxFileBytes < 1 || MaxFileBytes > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes,
                $"ImageDecoderOptions.MaxFileBytes must be between 1 and {int.MaxValue}.");
        if (AllowedFormats is null || AllowedFormats.Count == 0)
            throw new ArgumentException("ImageDecoderOptions.AllowedFormats is empty: no image could be decoded. Use ImageDecoderOptions.DefaultFormats.", nameof(AllowedFormats));
    }
}
