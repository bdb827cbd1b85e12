using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Imaging.Tests;

/// <summary>
/// Our decode + preprocessing against torchvision's (PIL 9.4) tensors for the 11 reference images.
/// </summary>
public class ReferenceTensorTests
{
    private static readonly ImageDecoder Decoder = new();
    private static readonly ImagePreprocessor Preprocessor = new(PreprocessSettings.ImageNet);

    public static IEnumerable<string> ReferenceNames() => SharedData.ReferenceNames;

    [TestCaseSource(nameof(ReferenceNames))]
    public void MatchesTorchvisionTensor(string name)
    {
        var (expected, shape) = ReferenceTensor.ReadFloat32(SharedData.ReferenceTensor(name, "input"));
        Assert.That(shape, Is.EqualTo(new[] { 1, 3, 224, 224 }));

        using var image = Decoder.Decode(SharedData.ReferenceImage(name), Preprocessor);
        var actual = new float[Preprocessor.TensorLength];
        Preprocessor.Process(image, actual);

        double maxDiff = 0, sumDiff = 0;
        var differing = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs(actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, d);
            sumDiff += d;
            if (d > 0) differing++;
        }
        var meanDiff = sumDiff / actual.Length;
        TestContext.Out.WriteLine($"{name}: {image.Width}x{image.Height} max|diff| {maxDiff:E3}  mean|diff| {meanDiff:E3}  differing {differing}/{actual.Length}");
        Assert.That(maxDiff, Is.LessThan(0.05));
        Assert.That(meanDiff, Is.LessThan(1e-3));
    }
}
