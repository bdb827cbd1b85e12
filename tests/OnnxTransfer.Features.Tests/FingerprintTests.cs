using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Tests;

/// <summary>The fingerprint: canonical, complete (every value-changing setting), and explaining its differences.</summary>
public class FingerprintTests
{
    private const string Sha = "e12d7e32e77f23324dd8c291632f3766807df7c30b21aec2dd10348494b83e32";

    private static BackboneFingerprint Make(ImageInputSpec? image = null, FeatureSpec? features = null, TensorLayout layout = TensorLayout.Nchw,
        int dimension = 1280, string sha = Sha, string tensor = "/Flatten_output_0") =>
        BackboneFingerprint.ForImage(sha, tensor, features ?? new FeatureSpec(tensor), image ?? new ImageInputSpec(), layout, dimension);

    [Test]
    public void IsCanonicalJsonWithSortedKeysAndShortestFloats()
    {
        var fingerprint = Make();
        Assert.That(fingerprint.Json, Is.EqualTo(
            "{\"dim\":1280,\"dtype\":\"float32\",\"features\":{\"l2_normalize\":false,\"pooling\":\"none\",\"tensor\":\"/Flatten_output_0\"}," +
            "\"kind\":\"image\",\"model_sha256\":\"" + Sha + "\",\"preprocessing\":{\"alpha\":\"discard\",\"auto_rotate\":true," +
            "\"channels\":\"RGB\",\"filter\":\"bilinear\",\"height\":224,\"implementation\":\"" + PreprocessingVersions.Image + "\"," +
            "\"layout\":\"NCHW\",\"mean\":[0.485,0.456,0.406],\"pad\":[0,0,0],\"recipe\":\"resize-shorter-center-crop\",\"resize\":256," +
            "\"scale\":\"unit\",\"shrink_on_load\":true,\"std\":[0.229,0.224,0.225],\"width\":224}}"));
        Assert.That(fingerprint.Sha256, Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(fingerprint.Json)))));
        Assert.That((fingerprint.Dimension, fingerprint.DataType, fingerprint.ModelSha256), Is.EqualTo((1280, "float32", Sha)));
    }

    [Test]
    public void ParseAcceptsAnyKeyOrderAndSpacing()
    {
        var fingerprint = Make();
        var reordered = "{ \"preprocessing\": " + System.Text.Json.JsonDocument.Parse(fingerprint.Json).RootElement.GetProperty("preprocessing").GetRawText() +
                        ", \"model_sha256\": \"" + Sha + "\", \"kind\": \"image\", \"features\": {\"tensor\":\"/Flatten_output_0\",\"pooling\":\"none\",\"l2_normalize\":false}," +
                        " \"dtype\": \"float32\", \"dim\": 1280 }";
        Assert.That(BackboneFingerprint.Parse(reordered), Is.EqualTo(fingerprint));
        Assert.That(BackboneFingerprint.Parse(reordered).Sha256, Is.EqualTo(fingerprint.Sha256));
        Assert.Throws<FormatException>(() => BackboneFingerprint.Parse("[1]"));
        Assert.Throws<FormatException>(() => BackboneFingerprint.Parse("{"));
    }

    public static IEnumerable<TestCaseData> Changes()
    {
        var image = new ImageInputSpec();
        var (p, d) = (image.Preprocess, image.Decoding);
        ImageInputSpec P(PreprocessSettings preprocess) => image with { Preprocess = preprocess };
        ImageInputSpec D(ImageDecoderOptions decoding) => image with { Decoding = decoding };
        yield return new TestCaseData(Make(P(p with { ResizeShorterSide = 288 })), "preprocessing.resize").SetName("resize");
        yield return new TestCaseData(Make(P(p with { Width = 256, Height = 256 })), "preprocessing.height,preprocessing.width").SetName("size");
        yield return new TestCaseData(Make(P(p with { Filter = ResampleFilter.Bicubic })), "preprocessing.filter").SetName("filter");
        yield return new TestCaseData(Make(P(p with { Mean = new ChannelValues(0.5f, 0.5f, 0.5f) })), "preprocessing.mean").SetName("mean");
        yield return new TestCaseData(Make(P(p with { Std = new ChannelValues(0.5f, 0.5f, 0.5f) })), "preprocessing.std").SetName("std");
        yield return new TestCaseData(Make(P(p with { Scale = PixelScale.Byte })), "preprocessing.scale").SetName("scale");
        yield return new TestCaseData(Make(P(p with { ChannelOrder = ChannelOrder.Bgr })), "preprocessing.channels").SetName("channels");
        yield return new TestCaseData(Make(D(d with { Alpha = AlphaHandling.Flatten })), "preprocessing.alpha,preprocessing.background").SetName("alpha");
        yield return new TestCaseData(Make(P(p with { PadColor = RgbColor.White })), "preprocessing.pad").SetName("pad");
        yield return new TestCaseData(Make(D(d with { AutoRotate = false })), "preprocessing.auto_rotate").SetName("auto_rotate");
        yield return new TestCaseData(Make(D(d with { ShrinkOnLoad = false })), "preprocessing.shrink_on_load").SetName("shrink_on_load");
        yield return new TestCaseData(Make(P(p with { Mode = ResizeMode.Stretch })), "preprocessing.recipe,preprocessing.resize").SetName("recipe");
        yield return new TestCaseData(Make(layout: TensorLayout.Nhwc), "preprocessing.layout").SetName("layout");
        yield return new TestCaseData(Make(features: new FeatureSpec("/Flatten_output_0", FeaturePooling.None, true)), "features.l2_normalize").SetName("l2");
        yield return new TestCaseData(Make(tensor: "other"), "features.tensor").SetName("tensor");
        yield return new TestCaseData(Make(sha: new string('a', 64)), "model_sha256").SetName("model");
        yield return new TestCaseData(Make(dimension: 1000), "dim").SetName("dim");
    }

    [TestCaseSource(nameof(Changes))]
    public void EverySettingThatChangesValuesChangesTheFingerprint(BackboneFingerprint changed, string fields)
    {
        var baseline = Make();
        Assert.That(changed.Sha256, Is.Not.EqualTo(baseline.Sha256));
        var differences = baseline.Differences(changed);
        Assert.That(string.Join(",", differences.Select(d => d.Field)), Is.EqualTo(fields));
        Assert.That(differences[0].ToString(), Does.Contain(differences[0].Field).And.Contain("≠"));
    }

    private static ImageInputSpec Stretch(int resize) =>
        new() { Preprocess = PreprocessSettings.ImageNet with { Mode = ResizeMode.Stretch, ResizeShorterSide = resize } };

    [Test]
    public void UnusedSettingsDoNotChangeIt()
    {
        var baseline = Make();
        Assert.That(Make(new ImageInputSpec { Decoding = new ImageDecoderOptions { Background = RgbColor.Black } }), Is.EqualTo(baseline), "background only matters when alpha is flattened");
        Assert.That(Make(Stretch(1)), Is.EqualTo(Make(Stretch(999))),
            "resize only matters to the resize-then-crop recipe");
        Assert.That(baseline.Json, Does.Not.Contain("onnxtransfer 0."), "the tool version is not part of the fingerprint");
    }
}
