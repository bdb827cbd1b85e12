namespace OnnxTransfer.Imaging.Tests;

public class ImagePreprocessorTests
{
    private static byte[] Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    [TestCase(500, 375, 341, 256)]
    [TestCase(366, 500, 256, 349)] // 256 × 500 / 366 = 349.7 → 349: torchvision truncates
    [TestCase(256, 256, 256, 256)]
    [TestCase(1000, 10, 25600, 256)]
    public void ShorterSideFollowsTorchvision(int width, int height, int expectedWidth, int expectedHeight)
    {
        var preprocessor = new ImagePreprocessor();
        Assert.That(preprocessor.ResizedSize(width, height), Is.EqualTo((expectedWidth, expectedHeight)));
    }

    public static IEnumerable<TestCaseData> Recipes()
    {
        var modes = new (string Name, PreprocessSettings Settings)[]
        {
            ("crop 256→224", new PreprocessSettings()),
            ("crop 100→224 (padded)", new PreprocessSettings { ResizeShorterSide = 100, PadColor = new RgbColor(1, 2, 3) }),
            ("crop 320→288×160", new PreprocessSettings { ResizeShorterSide = 320, Width = 288, Height = 160 }),
            ("stretch 224×160", new PreprocessSettings { Mode = ResizeMode.Stretch, Width = 224, Height = 160 }),
            ("letterbox 200×200", new PreprocessSettings { Mode = ResizeMode.Letterbox, Width = 200, Height = 200, PadColor = new RgbColor(114, 114, 114) }),
        };
        foreach (var filter in Enum.GetValues<ResampleFilter>())
        foreach (var (name, settings) in modes)
        foreach (var (w, h) in new[] { (37, 23), (300, 200), (224, 500), (640, 97) })
            yield return new TestCaseData(settings with { Filter = filter }, w, h).SetArgDisplayNames($"{filter} {name} from {w}x{h}");
    }

    public static IEnumerable<TestCaseData> Panoramas()
    {
        // 1200×10 → Resize(256) → 30720×256: the long side is past the kernel cache's limit, so only the cropped
        // window's kernel is computed.
        yield return new TestCaseData(new PreprocessSettings(), 1200, 10).SetArgDisplayNames("Bilinear crop from 1200x10");
        yield return new TestCaseData(new PreprocessSettings { Filter = ResampleFilter.Lanczos }, 10, 1200).SetArgDisplayNames("Lanczos crop from 10x1200");
    }

    [TestCaseSource(nameof(Recipes))]
    [TestCaseSource(nameof(Panoramas))]
    public void ResampleMatchesPlainWholeImageVersion(PreprocessSettings settings, int width, int height)
    {
        var source = Noise(width, height, seed: width * 31 + height);
        var expected = NaiveResampler.Preprocess(source, width, height, settings);
        var actual = new byte[settings.Width * settings.Height * 3];
        new ImagePreprocessor(settings).Resample(new RgbImageView(source, width, height), actual);

        var first = actual.AsSpan().CommonPrefixLength(expected);
        Assert.That(first, Is.EqualTo(actual.Length),
            first < actual.Length ? $"first difference at byte {first}: {actual[first]} vs {expected[first]}" : "");
    }

    public static IEnumerable<TestCaseData> TensorRecipes()
    {
        var tensors = new (string Name, PreprocessSettings Settings)[]
        {
            ("ImageNet NCHW RGB", new PreprocessSettings()),
            ("NHWC BGR", new PreprocessSettings { Layout = TensorLayout.Nhwc, ChannelOrder = ChannelOrder.Bgr }),
            ("NCHW BGR bytes, Caffe mean", new PreprocessSettings
                { ChannelOrder = ChannelOrder.Bgr, Scale = PixelScale.Byte, Mean = new ChannelValues(123.68f, 116.78f, 103.94f), Std = ChannelValues.One }),
            ("NCHW 0-1, mean 0.5 std 0.5, odd 67x45 stretch", new PreprocessSettings
                { Mode = ResizeMode.Stretch, Width = 67, Height = 45, Mean = new ChannelValues(0.5f, 0.5f, 0.5f), Std = new ChannelValues(0.5f, 0.5f, 0.5f) }),
            ("NCHW letterbox 250x130 padded", new PreprocessSettings { Mode = ResizeMode.Letterbox, Width = 250, Height = 130, PadColor = new RgbColor(114, 7, 250) }),
            ("NCHW crop 100→224 padded", new PreprocessSettings { ResizeShorterSide = 100, PadColor = new RgbColor(1, 2, 3) }),
        };
        foreach (var filter in new[] { ResampleFilter.Bilinear, ResampleFilter.Bicubic, ResampleFilter.Lanczos, ResampleFilter.Box })
        foreach (var (name, settings) in tensors)
        foreach (var (w, h) in new[] { (37, 23), (333, 211), (224, 500), (1001, 97), (256, 256) })
            yield return new TestCaseData(settings with { Filter = filter }, w, h).SetArgDisplayNames($"{filter} {name} from {w}x{h}");
    }

    /// <summary>
    /// The fused, vectorised Process against the plain version written out: the naive resampler's bytes, then
    /// torchvision's float32 ToTensor + Normalize one value at a time, laid out as the settings say. Bit for bit.
    /// </summary>
    [TestCaseSource(nameof(TensorRecipes))]
    public void ProcessIsTorchvisionArithmeticOnPlainResampledBytes(PreprocessSettings settings, int width, int height)
    {
        var source = Noise(width, height, seed: width * 17 + height);
        var bytes = NaiveResampler.Preprocess(source, width, height, settings);
        var expected = new float[settings.TensorLength];
        var plane = settings.Width * settings.Height;
        for (var p = 0; p < plane; p++)
        for (var channel = 0; channel < 3; channel++)
        {
            var rgb = settings.ChannelOrder == ChannelOrder.Bgr ? 2 - channel : channel;
            var x = settings.Scale == PixelScale.UnitInterval ? bytes[p * 3 + rgb] / 255f : bytes[p * 3 + rgb];
            var value = (x - settings.Mean[rgb]) / settings.Std[rgb];
            expected[settings.Layout == TensorLayout.Nchw ? channel * plane + p : p * 3 + channel] = value;
        }

        var actual = new float[settings.TensorLength];
        actual.AsSpan().Fill(float.NaN);
        new ImagePreprocessor(settings).Process(new RgbImageView(source, width, height), actual);
        for (var i = 0; i < actual.Length; i++)
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                Assert.Fail($"element {i}: {actual[i]:R} vs {expected[i]:R}");
    }

    [TestCase(ResampleFilter.Bilinear), TestCase(ResampleFilter.Bicubic), TestCase(ResampleFilter.Lanczos)]
    public void SolidColourStaysExactlySolid(ResampleFilter filter)
    {
        byte[] colour = [12, 130, 250];
        var source = TestImageWriter.Solid(333, 211, colour);
        foreach (var mode in Enum.GetValues<ResizeMode>())
        {
            var settings = new PreprocessSettings { Filter = filter, Mode = mode, Width = 160, Height = 96 };
            var preprocessor = new ImagePreprocessor(settings);
            var bytes = new byte[160 * 96 * 3];
            preprocessor.Resample(new RgbImageView(source, 333, 211), bytes);
            var pad = settings.PadColor;
            for (var i = 0; i < bytes.Length; i += 3)
            {
                var isPad = bytes[i] == pad.R && bytes[i + 1] == pad.G && bytes[i + 2] == pad.B;
                Assert.That(isPad && mode == ResizeMode.Letterbox || bytes.AsSpan(i, 3).SequenceEqual(colour), Is.True,
                    $"{mode}: pixel {i / 3} is ({bytes[i]},{bytes[i + 1]},{bytes[i + 2]})");
            }
        }
    }

    [Test]
    public void NormalisationIsTorchvisionsFloat32Arithmetic()
    {
        // A 2×1 image already at the output size: no resampling, so only ToTensor + Normalize remain.
        var settings = new PreprocessSettings { Mode = ResizeMode.Stretch, Width = 2, Height = 1 };
        var tensor = new float[6];
        new ImagePreprocessor(settings).Process(new RgbImageView([0, 128, 255, 37, 200, 1], 2, 1), tensor);
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        byte[][] pixels = [[0, 128, 255], [37, 200, 1]];
        for (var c = 0; c < 3; c++)
        for (var p = 0; p < 2; p++)
        {
            var x = pixels[p][c] / 255f; // ToTensor: img.float().div(255)
            var expected = (x - mean[c]) / std[c]; // Normalize: sub_(mean).div_(std), all float32
            Assert.That(tensor[c * 2 + p], Is.EqualTo(expected), $"channel {c}, pixel {p}");
        }
    }

    [Test]
    public void LayoutChannelOrderAndScaleArePermutationsOfTheSameValues()
    {
        var source = Noise(300, 200, seed: 5);
        var view = new RgbImageView(source, 300, 200);
        var nchw = new float[3 * 224 * 224];
        var nhwc = new float[3 * 224 * 224];
        var bgr = new float[3 * 224 * 224];
        var raw = new float[3 * 224 * 224];
        var bytes = new byte[3 * 224 * 224];
        new ImagePreprocessor().Process(view, nchw);
        new ImagePreprocessor(new PreprocessSettings { Layout = TensorLayout.Nhwc }).Process(view, nhwc);
        new ImagePreprocessor(new PreprocessSettings { ChannelOrder = ChannelOrder.Bgr }).Process(view, bgr);
        new ImagePreprocessor(new PreprocessSettings { Scale = PixelScale.Byte, Mean = ChannelValues.Zero, Std = ChannelValues.One, Layout = TensorLayout.Nhwc }).Process(view, raw);
        new ImagePreprocessor().Resample(view, bytes);

        const int plane = 224 * 224;
        for (var p = 0; p < plane; p++)
        for (var c = 0; c < 3; c++)
        {
            Assert.That(nhwc[p * 3 + c], Is.EqualTo(nchw[c * plane + p]));
            Assert.That(bgr[(2 - c) * plane + p], Is.EqualTo(nchw[c * plane + p]));
            Assert.That(raw[p * 3 + c], Is.EqualTo((float)bytes[p * 3 + c]));
        }
    }

    [Test]
    public void LetterboxCentresTheImageBetweenBars()
    {
        // 400×100 into 200×200: the image becomes 200×50, with 75-row bars above and below.
        var settings = new PreprocessSettings { Mode = ResizeMode.Letterbox, Width = 200, Height = 200, PadColor = new RgbColor(114, 114, 114) };
        var preprocessor = new ImagePreprocessor(settings);
        Assert.That(preprocessor.ResizedSize(400, 100), Is.EqualTo((200, 50)));
        var bytes = new byte[200 * 200 * 3];
        preprocessor.Resample(new RgbImageView(TestImageWriter.Solid(400, 100, 0, 0, 0), 400, 100), bytes);
        for (var y = 0; y < 200; y++)
        {
            var expected = y is >= 75 and < 125 ? 0 : 114;
            Assert.That(bytes.AsSpan(y * 600, 600).ToArray().All(b => b == expected), Is.True, $"row {y}");
        }
    }

    [Test]
    public void WritesOnlyItsSliceOfABatch()
    {
        var preprocessor = new ImagePreprocessor();
        var batch = new float[3 * preprocessor.TensorLength];
        Array.Fill(batch, float.NaN);
        preprocessor.Process(new RgbImageView(Noise(300, 200, 1), 300, 200), batch.AsSpan(preprocessor.TensorLength, preprocessor.TensorLength));
        Assert.That(batch.Take(preprocessor.TensorLength).All(float.IsNaN), Is.True);
        Assert.That(batch.Skip(preprocessor.TensorLength).Take(preprocessor.TensorLength).All(float.IsFinite), Is.True);
        Assert.That(batch.Skip(2 * preprocessor.TensorLength).All(float.IsNaN), Is.True);
    }

    [Test]
    public void BadArgumentsAreRefusedWithTheFix()
    {
        var preprocessor = new ImagePreprocessor();
        var error = Assert.Throws<ArgumentException>(() => preprocessor.Process(new RgbImageView(new byte[12], 2, 2), new float[10]))!;
        Assert.That(error.Message, Does.Contain("150528"));
        Assert.Throws<ArgumentException>(() => _ = new ImagePreprocessor(new PreprocessSettings { Std = new ChannelValues(1, 0, 1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ImagePreprocessor(new PreprocessSettings { Width = 0 }));
        Assert.Throws<ArgumentException>(() => _ = new RgbImageView(new byte[11], 2, 2));
    }
}
