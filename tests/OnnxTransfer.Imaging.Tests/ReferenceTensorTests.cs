using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// Decode + preprocessing from the image file against torchvision's tensors (PIL 9.4: convert('RGB') → Resize(256,
/// bilinear, antialias) → CenterCrop(224) → ToTensor → Normalize) for the 11 reference images.
/// </summary>
/// <remarks>
/// The resampler follows PIL's fixed-point arithmetic and the normalisation uses torchvision's float32 operations, so
/// the only freedom left is the JPEG decoder: PNG is lossless and must match bit for bit; for JPEG another libjpeg(-turbo)
/// build may round a few IDCT outputs differently, so we allow at most two 8-bit steps anywhere
/// (2 / 255 / 0.224 ≈ 0.035 after Normalize) and require 99% of values to be bit-identical. On the reference machine
/// (libvips 8.14.1, libjpeg-turbo 2.1.5) every image matches exactly.
/// </remarks>
public class ReferenceTensorTests
{
    private const double TwoEightBitSteps = 2.0 / 255.0 / 0.224;

    private static readonly ImageDecoder Decoder = new();
    private static readonly ImagePreprocessor Preprocessor = new(PreprocessSettings.ImageNet);

    public static IEnumerable<string> ReferenceNames() => SharedData.ReferenceNames;

    [Test]
    public void AllElevenReferenceImagesArePresent() => Assert.That(SharedData.ReferenceNames, Has.Count.EqualTo(11));

    [TestCaseSource(nameof(ReferenceNames))]
    public void MatchesTorchvisionTensor(string name)
    {
        var reference = NpyFile.Read(SharedData.ReferenceTensor(name, "input"));
        Assert.That(reference.Shape, Is.EqualTo(new long[] { 1, 3, 224, 224 }));
        var expected = reference.AsSpan<float>().ToArray();

        var path = SharedData.ReferenceImage(name);
        using var image = Decoder.Decode(path, Preprocessor);
        var actual = new float[Preprocessor.TensorLength];
        Preprocessor.Process(image, actual);

        var (maxDiff, meanDiff, identical) = Compare(actual, expected);
        TestContext.Out.WriteLine(
            $"{name}: {image.Format} {image.Width}x{image.Height}  max|diff| {maxDiff:G3}  mean|diff| {meanDiff:G3}  bit-identical {identical}/{actual.Length}");

        if (image.Format == ImageFormat.Png)
            Assert.That(maxDiff, Is.Zero, "PNG decoding is lossless, so the tensor must match torchvision's exactly");
        else
        {
            Assert.That(maxDiff, Is.LessThanOrEqualTo(TwoEightBitSteps));
            Assert.That(identical, Is.GreaterThanOrEqualTo(actual.Length * 99 / 100));
        }
        Assert.That(meanDiff, Is.LessThan(1e-4));
    }

    internal static (double Max, double Mean, int Identical) Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        double max = 0, sum = 0;
        var identical = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs((double)actual[i] - expected[i]);
            if (d == 0) identical++;
            max = Math.Max(max, d);
            sum += d;
        }
        return (max, sum / actual.Length, identical);
    }
}
