using OnnxTransfer.Imaging.Native;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

public class ImageDecoderTests
{
    private AwkwardInputs _inputs = null!;
    private readonly ImageDecoder _decoder = new();

    [OneTimeSetUp]
    public void WriteInputs() => _inputs = new AwkwardInputs();

    [OneTimeTearDown]
    public void DeleteInputs() => _inputs.Dispose();

    // ---------- bad input: a reason code, never a crash ----------

    [TestCase("empty.jpg", ImageDecodeError.EmptyFile)]
    [TestCase("truncated.jpg", ImageDecodeError.Truncated)]
    [TestCase("header-only.jpg", ImageDecodeError.Truncated)]
    [TestCase("text.jpg", ImageDecodeError.NotAnImage)]
    [TestCase("html.png", ImageDecodeError.NotAnImage)]
    [TestCase("bomb.png", ImageDecodeError.TooManyPixels)]
    [TestCase("corrupt.jpg", ImageDecodeError.Corrupt)]
    [TestCase("no-such-file.jpg", ImageDecodeError.NotFound)]
    public void BadFileGivesReasonCode(string name, ImageDecodeError expected)
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(_inputs[name]).Dispose())!;
        TestContext.Out.WriteLine($"{name}: [{error.ReasonCode}] {error.Message} | libvips: {error.NativeMessage}");
        Assert.That(error.Reason, Is.EqualTo(expected));
        Assert.That(error.ReasonCode, Is.EqualTo(expected.Code()));
        Assert.That(error.InputName, Is.EqualTo(_inputs[name]));
        Assert.That(VipsErrors.TakeMessage(), Is.Empty, "libvips' error buffer must be left empty");
    }

    [Test]
    public void DirectoryGivesIoError()
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(Path.GetDirectoryName(_inputs["empty.jpg"])!).Dispose())!;
        Assert.That(error.Reason, Is.EqualTo(ImageDecodeError.IoError));
    }

    [Test]
    public void EmptyBytesGiveEmptyFile()
    {
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(ReadOnlySpan<byte>.Empty, inputName: "upload-7").Dispose())!;
        Assert.That(error.Reason, Is.EqualTo(ImageDecodeError.EmptyFile));
        Assert.That(error.InputName, Is.EqualTo("upload-7"));
    }

    [Test]
    public void BombIsRefusedFromTheHeaderAlone()
    {
        // 100000×100000 RGB would need 30 GB; the file holds 64 zero bytes of pixel data. Refusal must come from the header.
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(_inputs["bomb.png"]).Dispose())!;
        Assert.That(error.Message, Does.Contain("100000×100000"));
        Assert.That(error.Message, Does.Contain("MaxPixels"));
    }

    [Test]
    public void PixelLimitIsConfigurable()
    {
        var path = _inputs["quadrants.webp"]; // 40×30 = 1200 pixels
        var strict = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 1199 });
        Assert.That(Assert.Throws<ImageDecodeException>(() => strict.Decode(path).Dispose())!.Reason, Is.EqualTo(ImageDecodeError.TooManyPixels));
        using var image = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 1200 }).Decode(path);
        Assert.That(image.Width * image.Height, Is.EqualTo(1200));
    }

    [Test]
    public void TruncatedJpegDecodesWhenAllowed()
    {
        var lenient = new ImageDecoder(new ImageDecoderOptions { FailOnTruncated = false });
        using var image = lenient.Decode(_inputs["truncated.jpg"]);
        Assert.That((image.Width, image.Height), Is.EqualTo((640, 427)));
    }

    [Test]
    public void DisallowedFormatIsUnsupported()
    {
        var jpegOnly = new ImageDecoder(new ImageDecoderOptions { AllowedFormats = new HashSet<ImageFormat> { ImageFormat.Jpeg } });
        var error = Assert.Throws<ImageDecodeException>(() => jpegOnly.Decode(_inputs["quadrants.webp"]).Dispose())!;
        Assert.That(error.Reason, Is.EqualTo(ImageDecodeError.UnsupportedFormat));
        Assert.That(error.Message, Does.Contain("ImageFormat.WebP"));
        var svg = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'><rect width='4' height='4'/></svg>"u8.ToArray();
        Assert.That(Assert.Throws<ImageDecodeException>(() => _decoder.Decode(svg).Dispose())!.Reason, Is.EqualTo(ImageDecodeError.UnsupportedFormat),
            "SVG is a document format and is not decoded by default");
    }

    [Test]
    public void DecodingStillWorksAfterFailures()
    {
        foreach (var name in new[] { "truncated.jpg", "text.jpg", "bomb.png", "corrupt.jpg" })
            Assert.Throws<ImageDecodeException>(() => _decoder.Decode(_inputs[name]).Dispose());
        using var image = _decoder.Decode(SharedData.ReferenceImage("rocket"));
        Assert.That((image.Width, image.Height), Is.EqualTo((640, 427)));
    }

    [Test]
    public void InvalidOptionsAreRefusedUpFront()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 0 }));
        Assert.Throws<ArgumentException>(() => _ = new ImageDecoder(new ImageDecoderOptions { AllowedFormats = new HashSet<ImageFormat>() }));
    }

    // ---------- awkward but valid input: the right pixels ----------

    [TestCase("quadrants.webp", ImageFormat.WebP)]
    [TestCase("quadrants.tif", ImageFormat.Tiff)]
    [TestCase("quadrants.gif", ImageFormat.Gif)]
    [TestCase("palette.png", ImageFormat.Png)]
    public void LosslessFormatsGiveTheColoursBack(string name, ImageFormat format)
    {
        using var image = _decoder.Decode(_inputs[name]);
        Assert.That(image.Format, Is.EqualTo(format));
        Assert.That((image.Width, image.Height), Is.EqualTo((AwkwardInputs.Width, AwkwardInputs.Height)));
        Assert.That(image.Pixels.ToArray(), Is.EqualTo(AwkwardInputs.Quadrants()));
    }

    [Test]
    public void BmpIsRefusedByTheBundledLibvipsWithTheWayToReadIt()
    {
        // The tests run with the bundled libvips (NetVips.Native, beside the test assembly), which is built without
        // ImageMagick; BMP is one of the formats only libvips' ImageMagick module reads. The refusal is an error record.
        Assert.That(VipsRuntime.IsBundled, "the bundled libvips is what a fresh machine uses");
        var error = Assert.Throws<ImageDecodeException>(() => _decoder.Decode(_inputs["quadrants.bmp"]));
        Assert.That(error!.Reason, Is.EqualTo(ImageDecodeError.UnsupportedFormat));
        Assert.That(error.Message, Does.Contain("a Bmp image, which this libvips build has no loader for")
            .And.Contain("apt-get install libvips42) and set ONNXTRANSFER_LIBVIPS=system"));
    }

    [Test]
    public void PaletteFileReallyIsIndexed()
    {
        var bytes = _inputs.Bytes("palette.png");
        Assert.That(bytes[25], Is.EqualTo(3), "IHDR colour type 3 (palette)");
    }

    [Test]
    public void CmykJpegIsConvertedToSrgbThroughItsProfile()
    {
        var bytes = _inputs.Bytes("cmyk.jpg");
        Assert.That(JpegComponents(bytes), Is.EqualTo(4), "the test file must really be a 4-channel (CMYK) JPEG");
        using var image = _decoder.Decode(_inputs["cmyk.jpg"]);
        // sRGB → CMYK → sRGB through ICC profiles and JPEG is not exact; a few levels is the expected round-trip error.
        AssertSolid(image, [200, 100, 50], tolerance: 12);
    }

    [Test]
    public void SixteenBitPngKeepsTheHighByteLikePil()
    {
        var bytes = _inputs.Bytes("rgb16.png");
        Assert.That(bytes[24], Is.EqualTo(16), "IHDR bit depth 16");
        using var image = _decoder.Decode(_inputs["rgb16.png"]);
        AssertSolid(image, [0x12, 0xAB, 0xFF], tolerance: 0);
    }

    [TestCase("grey.png", 0)]
    [TestCase("grey.jpg", 1)]
    public void GreyscaleIsExpandedToThreeEqualChannels(string name, int tolerance)
    {
        using var image = _decoder.Decode(_inputs[name]);
        AssertSolid(image, [77, 77, 77], tolerance);
    }

    [Test]
    public void AlphaIsDroppedByDefaultLikePilConvertRgb()
    {
        using var image = _decoder.Decode(_inputs["rgba.png"]);
        Assert.That(image.HadAlpha, Is.True);
        Assert.That(Pixel(image, 0, 0), Is.EqualTo(new byte[] { 10, 20, 30 }), "transparent pixels keep their stored colour");
        Assert.That(Pixel(image, AwkwardInputs.Width - 1, 0), Is.EqualTo(new byte[] { 200, 100, 50 }));
    }

    [Test]
    public void AlphaCanBeFlattenedOnABackground()
    {
        var decoder = new ImageDecoder(new ImageDecoderOptions { Alpha = AlphaHandling.Flatten, Background = new RgbColor(0, 128, 255) });
        using var image = decoder.Decode(_inputs["rgba.png"]);
        Assert.That(Pixel(image, 0, 0), Is.EqualTo(new byte[] { 0, 128, 255 }), "alpha 0 shows the background");
        // alpha 128: c·128/255 + bg·127/255, rounded
        byte Mix(int c, int bg) => (byte)Math.Round((c * 128 + bg * 127) / 255.0);
        Assert.That(Pixel(image, AwkwardInputs.Width - 1, 0), Is.EqualTo(new[] { Mix(200, 0), Mix(100, 128), Mix(50, 255) }));
    }

    [Test]
    public void RealGifFromTheDatasetDecodesItsFirstFrame()
    {
        var gif = Path.Combine(SharedData.Hymenoptera, "train", "ants", "imageNotFound.gif");
        using var image = _decoder.Decode(gif);
        Assert.That(image.Format, Is.EqualTo(ImageFormat.Gif));
        Assert.That((image.Width, image.Height), Is.EqualTo((300, 300)));
        var distinct = new HashSet<int>();
        var pixels = image.Pixels;
        for (var i = 0; i < pixels.Length; i += 3) distinct.Add(pixels[i] << 16 | pixels[i + 1] << 8 | pixels[i + 2]);
        Assert.That(distinct, Has.Count.GreaterThan(1), "a real picture, not a blank frame");
    }

    [Test]
    public void BytesAndFileDecodeTheSame()
    {
        var path = SharedData.ReferenceImage("chelsea");
        using var fromFile = _decoder.Decode(path);
        using var fromBytes = _decoder.Decode(File.ReadAllBytes(path));
        Assert.That(fromBytes.Pixels.SequenceEqual(fromFile.Pixels), Is.True);
    }

    // ---------- EXIF orientation ----------

    [Test]
    public void OrientationSixIsRotatedClockwise()
    {
        using var image = _decoder.Decode(_inputs["orientation-6.jpg"]);
        Assert.That(image.Orientation, Is.EqualTo(6));
        Assert.That((image.Width, image.Height), Is.EqualTo((AwkwardInputs.Height, AwkwardInputs.Width)), "dimensions swap");
        Assert.That((image.StoredWidth, image.StoredHeight), Is.EqualTo((AwkwardInputs.Width, AwkwardInputs.Height)));
        // Turning the stored image 90° clockwise takes its red top-left corner to the top right.
        AssertNear(Pixel(image, image.Width - 4, 4), AwkwardInputs.Red);
        AssertNear(Pixel(image, 4, 4), AwkwardInputs.Blue);
        AssertNear(Pixel(image, image.Width - 4, image.Height - 4), AwkwardInputs.Green);
        AssertNear(Pixel(image, 4, image.Height - 4), AwkwardInputs.White);
    }

    [TestCase(1), TestCase(2), TestCase(3), TestCase(4), TestCase(5), TestCase(6), TestCase(7), TestCase(8)]
    public void EveryOrientationMatchesLibvipsAutorot(int orientation)
    {
        var path = _inputs[$"orientation-{orientation}.jpg"];
        using var ours = _decoder.Decode(path);
        var (vipsPixels, vipsWidth, vipsHeight, bands) = TestImageWriter.DecodeWithVipsAutorot(File.ReadAllBytes(path));
        Assert.That(bands, Is.EqualTo(3));
        Assert.That(ours.Orientation, Is.EqualTo(orientation));
        Assert.That((ours.Width, ours.Height), Is.EqualTo((vipsWidth, vipsHeight)));
        Assert.That(ours.Pixels.ToArray(), Is.EqualTo(vipsPixels));
    }

    [Test]
    public void AutoRotateCanBeTurnedOffLikePil()
    {
        var decoder = new ImageDecoder(new ImageDecoderOptions { AutoRotate = false });
        using var image = decoder.Decode(_inputs["orientation-6.jpg"]);
        Assert.That((image.Width, image.Height, image.Orientation), Is.EqualTo((AwkwardInputs.Width, AwkwardInputs.Height, 1)));
        AssertNear(Pixel(image, 4, 4), AwkwardInputs.Red);
    }

    // ---------- helpers ----------

    private static byte[] Pixel(DecodedImage image, int x, int y) => image.Pixels.Slice((y * image.Width + x) * 3, 3).ToArray();

    private static void AssertNear(byte[] actual, byte[] expected, int tolerance = 8)
    {
        for (var c = 0; c < 3; c++)
            Assert.That((int)actual[c], Is.EqualTo(expected[c]).Within(tolerance), $"channel {c} of ({string.Join(",", actual)})");
    }

    private static void AssertSolid(DecodedImage image, byte[] colour, int tolerance)
    {
        var pixels = image.Pixels;
        var worst = 0;
        for (var i = 0; i < pixels.Length; i++) worst = Math.Max(worst, Math.Abs(pixels[i] - colour[i % 3]));
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"first pixel ({pixels[0]},{pixels[1]},{pixels[2]})");
    }

    /// <summary>Number of colour components in the JPEG's frame header, found by walking the marker segments.</summary>
    private static int JpegComponents(byte[] jpeg)
    {
        var i = 2; // after SOI
        while (i + 4 < jpeg.Length && jpeg[i] == 0xFF)
        {
            var marker = jpeg[i + 1];
            var length = jpeg[i + 2] << 8 | jpeg[i + 3];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC) return jpeg[i + 9];
            i += 2 + length;
        }
        return -1;
    }
}
