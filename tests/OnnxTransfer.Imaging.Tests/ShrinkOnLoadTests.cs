using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

public class ShrinkOnLoadTests
{
    private const int Width = 2400, Height = 1800;
    private TempDirectory _directory = null!;
    private string _bigJpeg = null!;

    [OneTimeSetUp]
    public void WriteBigJpeg()
    {
        // A smooth photo-like 2400×1800 picture: gradients and soft waves.
        var pixels = new byte[Width * Height * 3];
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
        {
            var i = (y * Width + x) * 3;
            pixels[i] = (byte)(x * 255 / Width);
            pixels[i + 1] = (byte)(y * 255 / Height);
            pixels[i + 2] = (byte)(128 + 100 * Math.Sin(x / 37.0) * Math.Cos(y / 23.0));
        }
        _directory = new TempDirectory("onnxtransfer-imaging-big");
        _bigJpeg = _directory.File("big.jpg");
        File.WriteAllBytes(_bigJpeg, TestImageWriter.Save(pixels, Width, Height, 3, "jpegsave_buffer", "Q=92"));
    }

    [OneTimeTearDown]
    public void Delete() => _directory.Dispose();

    [Test]
    public void BigJpegIsShrunkOnlyAsFarAsTwiceTheResizeTarget()
    {
        var preprocessor = new ImagePreprocessor(); // resizes 2400×1800 to 341×256
        using var image = new ImageDecoder().Decode(_bigJpeg, preprocessor);
        // 1/2 gives 1200×900 ≥ 2 × (341×256); 1/4 would give 600×450, less than 682×512.
        Assert.That(image.ShrinkFactor, Is.EqualTo(2));
        Assert.That((image.Width, image.Height), Is.EqualTo((1200, 900)));
        Assert.That((image.StoredWidth, image.StoredHeight), Is.EqualTo((Width, Height)));
    }

    [Test]
    public void ShrunkDecodeGivesNearlyTheSameTensor()
    {
        var preprocessor = new ImagePreprocessor();
        using var shrunk = new ImageDecoder().Decode(_bigJpeg, preprocessor);
        using var full = new ImageDecoder(new ImageDecoderOptions { ShrinkOnLoad = false }).Decode(_bigJpeg, preprocessor);
        Assert.That(full.ShrinkFactor, Is.EqualTo(1));
        Assert.That((full.Width, full.Height), Is.EqualTo((Width, Height)));

        var a = new float[preprocessor.TensorLength];
        var b = new float[preprocessor.TensorLength];
        preprocessor.Process(shrunk, a);
        preprocessor.Process(full, b);
        var (max, mean, _) = ReferenceTensorTests.Compare(a, b);
        TestContext.Out.WriteLine($"shrink-on-load 1/2 vs full decode of 2400×1800: max|diff| {max:G3}, mean|diff| {mean:G3}");
        // DCT-domain downscaling is a slightly different low-pass than PIL's triangle filter: a few 8-bit steps at
        // most on sharp waves, well under one step on average (one step = 1/255/0.224 ≈ 0.0175).
        Assert.That(mean, Is.LessThan(0.005));
        Assert.That(max, Is.LessThanOrEqualTo(2.0 / 255 / 0.224));
    }

    [Test]
    public void RealLargePhotosFromTheDataset()
    {
        // The hymenoptera set holds two large photos (≈2.9 and 5 megapixels); the rest are ≈500×375 and stay whole.
        var preprocessor = new ImagePreprocessor();
        var fullDecoder = new ImageDecoder(new ImageDecoderOptions { ShrinkOnLoad = false });
        var decoder = new ImageDecoder();
        var shrunkCount = 0;
        foreach (var path in Directory.GetFiles(SharedData.Hymenoptera, "*.jpg", SearchOption.AllDirectories))
        {
            using var shrunk = decoder.Decode(path, preprocessor);
            if (shrunk.ShrinkFactor == 1) continue;
            shrunkCount++;
            using var full = fullDecoder.Decode(path, preprocessor);
            var a = new float[preprocessor.TensorLength];
            var b = new float[preprocessor.TensorLength];
            preprocessor.Process(shrunk, a);
            preprocessor.Process(full, b);
            var (max, mean, _) = ReferenceTensorTests.Compare(a, b);
            TestContext.Out.WriteLine($"{Path.GetFileName(path)} {full.Width}×{full.Height} shrink 1/{shrunk.ShrinkFactor}: max|diff| {max:G3}, mean|diff| {mean:G3}");
            // Real detail shows the filter difference more than the smooth test picture: a few steps at edges.
            Assert.That(mean, Is.LessThan(0.01));
            Assert.That(max, Is.LessThan(0.15));
        }
        Assert.That(shrunkCount, Is.EqualTo(2));
    }

    [Test]
    public void WithoutAPlannerOrForSmallImagesNothingIsShrunk()
    {
        var preprocessor = new ImagePreprocessor();
        using var noPlanner = new ImageDecoder().Decode(_bigJpeg);
        Assert.That(noPlanner.ShrinkFactor, Is.EqualTo(1));
        using var small = new ImageDecoder().Decode(SharedData.ReferenceImage("rocket"), preprocessor);
        Assert.That(small.ShrinkFactor, Is.EqualTo(1));
    }
}
