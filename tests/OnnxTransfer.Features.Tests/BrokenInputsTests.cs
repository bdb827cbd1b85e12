using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Acceptance: a folder of broken and awkward inputs (written at test time) runs to the end. Each unusable file becomes
/// an error row with its reason; each awkward-but-valid file is embedded, and its embedding equals that of a plain
/// 8-bit RGB PNG holding the pixels it should decode to (grey → equal channels, 16-bit → high bytes, alpha → dropped,
/// EXIF orientation → turned upright).
/// </summary>
public class BrokenInputsTests
{
    private TempDirectory _folder = null!;
    private TempDirectory _cache = null!;
    private ExtractionSummary _summary = null!;
    private Dictionary<string, int> _rows = null!;
    private CachedEmbeddings _embeddings = null!;
    private Dictionary<string, ErrorRow> _errors = null!;

    [OneTimeSetUp]
    public void ExtractBrokenFolder()
    {
        _folder = new TempDirectory("features-broken");
        _cache = new TempDirectory("features-broken-cache");
        var decoder = TestBackbones.MobileNetV2.Decoder;
        var jpegPath = SharedData.ReferenceImage("ant_1053149811_f62a3410d3");
        var jpeg = File.ReadAllBytes(jpegPath);

        Write("empty.jpg", []);
        Write("truncated.jpg", jpeg[..(jpeg.Length / 2)]);
        Write("text.jpg", "This is a text file that claims to be a JPEG.\n"u8.ToArray());
        Write("huge.png", TestImages.PngClaiming(200_000, 200_000));
        Write("cmyk.jpg", TestImages.CmykJpeg(64, 48, c: 0, m: 255, y: 255, k: 0));

        using var photo = decoder.Decode(SharedData.ReferenceImage("chelsea"));
        int w = photo.Width, h = photo.Height;
        var rgb = photo.Pixels.ToArray();
        var random = new Random(7);

        var sixteen = new byte[w * h * 3 * 2];
        for (var i = 0; i < rgb.Length; i++) { sixteen[2 * i] = rgb[i]; sixteen[2 * i + 1] = (byte)random.Next(256); }
        Write("rgb16.png", TestImages.Png(sixteen, w, h, 3, sixteenBit: true));
        Write("rgb16-expected.png", TestImages.Png(rgb, w, h, 3));

        var grey = new byte[w * h];
        var greyRgb = new byte[w * h * 3];
        for (var p = 0; p < grey.Length; p++)
        {
            grey[p] = (byte)((rgb[3 * p] * 299 + rgb[3 * p + 1] * 587 + rgb[3 * p + 2] * 114) / 1000);
            greyRgb[3 * p] = greyRgb[3 * p + 1] = greyRgb[3 * p + 2] = grey[p];
        }
        Write("grey.png", TestImages.Png(grey, w, h, 1));
        Write("grey-expected.png", TestImages.Png(greyRgb, w, h, 3));

        var rgba = new byte[w * h * 4];
        for (var p = 0; p < w * h; p++)
        {
            rgb.AsSpan(3 * p, 3).CopyTo(rgba.AsSpan(4 * p));
            rgba[4 * p + 3] = (byte)(p % 256); // every alpha level, transparent included: alpha is dropped like PIL's convert('RGB')
        }
        Write("rgba.png", TestImages.Png(rgba, w, h, 4));
        Write("rgba-expected.png", TestImages.Png(rgb, w, h, 3));

        Write("upright.jpg", jpeg);
        Write("rotated.jpg", TestImages.WithExifOrientation(jpeg, 6));
        using (var ant = decoder.Decode(jpegPath))
            Write("rotated-expected.png", TestImages.Png(TestImages.RotateClockwise(ant.Pixels, ant.Width, ant.Height), ant.Height, ant.Width, 3));

        _summary = Extract.Run(_folder.Path, _cache.Path, new ExtractionOptions { BatchSize = 4 });
        _embeddings = Extract.Read(_cache.Path);
        _rows = _embeddings.IndexById();
        _errors = Extract.Errors(_cache.Path).ToDictionary(e => e.Id);
    }

    [OneTimeTearDown]
    public void Remove()
    {
        _folder.Dispose();
        _cache.Dispose();
    }

    [Test]
    public void RunsToTheEndWithOneRowPerInput()
    {
        Assert.That(_summary.Inputs, Is.EqualTo(14));
        Assert.That(_summary.Embedded, Is.EqualTo(10));
        Assert.That(_summary.Failed, Is.EqualTo(4));
        Assert.That(_rows.Keys.Concat(_errors.Keys), Is.EquivalentTo(Directory.GetFiles(_folder.Path).Select(Path.GetFileName)));
        Assert.That(_summary.ErrorsByReason, Is.EquivalentTo(new Dictionary<string, int>
        {
            ["empty-file"] = 1, ["truncated"] = 1, ["not-an-image"] = 1, ["too-many-pixels"] = 1,
        }));
    }

    [TestCase("empty.jpg", "empty-file")]
    [TestCase("truncated.jpg", "truncated")]
    [TestCase("text.jpg", "not-an-image")]
    [TestCase("huge.png", "too-many-pixels")]
    public void UnusableFileBecomesAnErrorRowWithItsReason(string file, string reason)
    {
        var error = _errors[file];
        TestContext.Out.WriteLine($"{file}: {error.Reason}: {error.Message}");
        Assert.That(error.Reason, Is.EqualTo(reason));
        Assert.That(error.Message, Does.Contain(file));
        Assert.That(error.Source, Is.EqualTo(Path.Combine(_folder.Path, file)));
        Assert.That((error.Label, error.Split), Is.EqualTo(((string?)null, (string?)null)));
    }

    [TestCase("rgb16.png")]
    [TestCase("grey.png")]
    [TestCase("rgba.png")]
    [TestCase("rotated.jpg")]
    public void AwkwardButValidFileIsEmbeddedAsItsPlainEquivalent(string file)
    {
        var expected = Path.GetFileNameWithoutExtension(file) + "-expected.png";
        Assert.That(_embeddings.Row(_rows[file]).ToArray(), Is.EqualTo(_embeddings.Row(_rows[expected]).ToArray()));
    }

    [Test]
    public void ExifOrientationIsApplied()
    {
        var cosine = TestBackbones.Cosine(_embeddings.Row(_rows["rotated.jpg"]), _embeddings.Row(_rows["upright.jpg"]));
        Assert.That(cosine, Is.LessThan(0.99), "the rotated photo must not embed like the upright one");
    }

    [Test]
    public void CmykJpegIsEmbeddedWithItsColours()
    {
        Assert.That(_rows, Does.ContainKey("cmyk.jpg"));
        using var decoded = TestBackbones.MobileNetV2.Decoder.Decode(Path.Combine(_folder.Path, "cmyk.jpg"));
        var pixel = decoded.Pixels[..3].ToArray();
        TestContext.Out.WriteLine($"CMYK (0, 100%, 100%, 0) decodes to RGB ({pixel[0]}, {pixel[1]}, {pixel[2]})");
        Assert.That(pixel[0], Is.GreaterThan(180), "magenta + yellow ink is red");
        Assert.That(pixel[1], Is.LessThan(90));
        Assert.That(pixel[2], Is.LessThan(90));

        var direct = new float[TestBackbones.MobileNetV2.ImageLength];
        TestBackbones.MobileNetV2.Prepare(Path.Combine(_folder.Path, "cmyk.jpg"), direct);
        using var batch = TestBackbones.MobileNetV2.CreateBatch(1);
        direct.CopyTo(batch.ImageSlot(0));
        var embedding = new float[TestBackbones.MobileNetV2.Dimension];
        TestBackbones.MobileNetV2.Embed(batch, 1, embedding);
        Assert.That(_embeddings.Row(_rows["cmyk.jpg"]).ToArray(), Is.EqualTo(embedding));
    }

    private void Write(string name, byte[] bytes) => File.WriteAllBytes(_folder.File(name), bytes);
}
