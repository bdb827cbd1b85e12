using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// The direct TurboJPEG path against libvips' JPEG loader (the same libjpeg-turbo underneath): the same bytes, sizes,
/// shrink factors and orientations for every photo of the shared dataset and for synthetic JPEGs of every kind the direct
/// path takes; the kinds it must leave to libvips (CMYK, damaged files) do go there, with libvips' verdicts.
/// </summary>
public class DirectJpegTests
{
    private static readonly ImageDecoder Direct = new();
    private static readonly ImageDecoder ThroughVips = new(new ImageDecoderOptions { DirectJpeg = false });
    private static readonly ImagePreprocessor Planner = new(PreprocessSettings.ImageNet);

    [Test]
    public void TurboJpegIsInstalled()
    {
        Assert.That(DirectJpegDecoder.IsAvailable, "libturbojpeg.so.0 is missing: run tools/setup.sh (apt-get install libturbojpeg0)");
        Assert.That(ImageDecoder.DirectJpegLibrary, Does.Match(@"^/\S+/libturbojpeg\.so\.0[.0-9]*$"), "the file named is the one loaded");
        Assert.That(File.Exists(ImageDecoder.DirectJpegLibrary));
    }

    [Test]
    public void EveryHymenopteraPhotoDecodesToLibvipsBytes()
    {
        var paths = Directory.EnumerateFiles(SharedData.Hymenoptera, "*.jpg", SearchOption.AllDirectories)
            .Concat(SharedData.ReferenceNames.Select(SharedData.ReferenceImage).Where(p => p.EndsWith(".jpg", StringComparison.Ordinal)))
            .ToArray();
        Assert.That(paths, Has.Length.GreaterThan(390));
        var shrunk = 0;
        foreach (var path in paths)
        {
            using var direct = Direct.Decode(path, Planner);
            using var vips = ThroughVips.Decode(path, Planner);
            Assert.That(direct.DecodedDirectly, path);
            Assert.That(vips.DecodedDirectly, Is.False);
            AssertSame(direct, vips, path);
            if (direct.ShrinkFactor > 1) shrunk++;
        }
        Assert.That(shrunk, Is.GreaterThan(0), "some photos are large enough for shrink-on-load, so DCT scaling is compared too");
    }

    public static IEnumerable<TestCaseData> SyntheticJpegs()
    {
        foreach (var (width, height) in new[] { (1, 1), (17, 9), (333, 211), (2101, 1203) })
        foreach (var options in new[] { "Q=90", "Q=95,subsample_mode=off", "Q=75,interlace=true", "Q=85,optimize_coding=true,subsample_mode=on" })
            yield return new TestCaseData(width, height, 3, options).SetArgDisplayNames($"RGB {width}x{height} {options}");
        yield return new TestCaseData(333, 211, 1, "Q=90").SetArgDisplayNames("grey 333x211");
        yield return new TestCaseData(1301, 1100, 1, "Q=90,interlace=true").SetArgDisplayNames("grey progressive 1301x1100 (shrunk)");
    }

    [TestCaseSource(nameof(SyntheticJpegs))]
    public void SyntheticJpegDecodesToLibvipsBytes(int width, int height, int bands, string options)
    {
        var jpeg = TestImageWriter.Save(Noise(width, height, bands, seed: width * 31 + height), width, height, bands, "jpegsave_buffer", options);
        using var direct = Direct.Decode(jpeg, Planner);
        using var vips = ThroughVips.Decode(jpeg, Planner);
        Assert.That(direct.DecodedDirectly);
        AssertSame(direct, vips, options);
    }

    [Test]
    public void EveryExifOrientationMatchesLibvips()
    {
        using var inputs = new AwkwardInputs();
        for (var orientation = 1; orientation <= 8; orientation++)
        {
            var bytes = inputs.Bytes($"orientation-{orientation}.jpg");
            using var direct = Direct.Decode(bytes);
            using var vips = ThroughVips.Decode(bytes);
            Assert.That(direct.DecodedDirectly);
            Assert.That(direct.Orientation, Is.EqualTo(orientation));
            AssertSame(direct, vips, $"orientation {orientation}");
        }
    }

    [Test]
    public void CmykJpegIsLeftToLibvips()
    {
        using var inputs = new AwkwardInputs();
        using var image = Direct.Decode(inputs.Bytes("cmyk.jpg"));
        Assert.That(image.DecodedDirectly, Is.False);
        using var vips = ThroughVips.Decode(inputs.Bytes("cmyk.jpg"));
        AssertSame(image, vips, "cmyk");
    }

    [TestCase("truncated.jpg"), TestCase("header-only.jpg"), TestCase("corrupt.jpg")]
    public void DamagedJpegGetsLibvipsVerdict(string name)
    {
        using var inputs = new AwkwardInputs();
        var bytes = inputs.Bytes(name);
        var direct = Assert.Throws<ImageDecodeException>(() => Direct.Decode(bytes).Dispose())!;
        var vips = Assert.Throws<ImageDecodeException>(() => ThroughVips.Decode(bytes).Dispose())!;
        Assert.That(direct.Reason, Is.EqualTo(vips.Reason));
    }

    [Test]
    public void TruncatedJpegDecodedLenientlyIsLibvipsGreyFill()
    {
        using var inputs = new AwkwardInputs();
        var bytes = inputs.Bytes("truncated.jpg");
        using var direct = new ImageDecoder(new ImageDecoderOptions { FailOnTruncated = false }).Decode(bytes);
        using var vips = new ImageDecoder(new ImageDecoderOptions { FailOnTruncated = false, DirectJpeg = false }).Decode(bytes);
        AssertSame(direct, vips, "truncated, lenient");
        // libvips leaves a decode's warnings in its (process-wide) error buffer; later tests expect it empty.
        Native.VipsErrors.TakeMessage();
    }

    private static void AssertSame(DecodedImage direct, DecodedImage vips, string what)
    {
        Assert.That((direct.Width, direct.Height, direct.ShrinkFactor, direct.Orientation, direct.StoredWidth, direct.StoredHeight),
            Is.EqualTo((vips.Width, vips.Height, vips.ShrinkFactor, vips.Orientation, vips.StoredWidth, vips.StoredHeight)), what);
        Assert.That(direct.Pixels.SequenceEqual(vips.Pixels), what + ": pixels differ");
    }

    private static byte[] Noise(int width, int height, int bands, int seed)
    {
        // Smooth gradients plus noise: JPEG-like content that exercises every DCT coefficient and the chroma upsampling.
        var random = new Random(seed);
        var pixels = new byte[width * height * bands];
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        for (var c = 0; c < bands; c++)
            pixels[(y * width + x) * bands + c] = (byte)Math.Clamp((x * (c + 1) + y * (3 - c)) % 256 + random.Next(-40, 41), 0, 255);
        return pixels;
    }
}
