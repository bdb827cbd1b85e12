using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Inference.Tests;

/// <summary>A head only serves the backbone it was trained on: fingerprint and dimension are checked before any image is read.</summary>
[NonParallelizable]
public class HeadCompatibilityTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    /// <summary>The fingerprint of the same model with other preprocessing (resize 288 instead of 256).</summary>
    private static BackboneFingerprint OtherFingerprint() =>
        BackboneFingerprint.ForImage(H.Backbone.ModelSha256, H.Backbone.FeatureTensor, H.Backbone.Spec.Features,
            H.Backbone.Spec.Image! with { Preprocess = H.Backbone.Spec.Image.Preprocess with { ResizeShorterSide = 288 } }, H.Backbone.Spec.Layout, H.Backbone.Dimension);

    private static HeadModel HeadWith(BackboneFingerprint? fingerprint, Head? head = null) =>
        HeadModel.FromModel(HeadOnnxExporter.Export(head ?? H.Head, Hymenoptera.ExportOptions(fingerprint)).Model, "test head");

    [Test]
    public void AHeadFromAnotherPreprocessingIsRefusedWithTheDifferingSetting()
    {
        var head = HeadWith(OtherFingerprint());
        var e = Assert.Throws<HeadMismatchException>(() => new FusedModelComposer().Compose(H.Backbone, head))!;
        Assert.That(e.Message, Does.Contain("preprocessing.resize").And.Contain("288").And.Contain("256").And.Contain("--allow-fingerprint-mismatch"));
        Assert.That(e.Differences.Select(d => d.Field), Is.EqualTo(new[] { "preprocessing.resize" }));
        Assert.Throws<HeadMismatchException>(() => Predictor.FromBackbone(Hymenoptera.Spec(), head).Dispose());
    }

    [Test]
    public void TheOverrideComposesWithAWarning()
    {
        var warnings = new List<string>();
        var model = new FusedModelComposer(new ComposeOptions { AllowFingerprintMismatch = true, WarningSink = warnings.Add })
            .Compose(H.Backbone, HeadWith(OtherFingerprint()));
        Assert.That(model.Outputs.Select(o => o.Name), Does.Contain("probabilities"));
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0], Does.Contain("preprocessing.resize").And.Contain("predictions may be wrong"));
    }

    [Test]
    public void AHeadForAnotherDimensionIsRefusedEvenWithTheOverride()
    {
        var narrow = new Head(Head.SoftmaxRegressionKind, ["ants", "bees"], FeaturePreprocessing.Identity,
            [new DenseLayer(512, 2, new float[1024], new float[2], Activation.Identity)]);
        var head = HeadWith(H.Backbone.Fingerprint, narrow);
        var e = Assert.Throws<HeadMismatchException>(() =>
            new FusedModelComposer(new ComposeOptions { AllowFingerprintMismatch = true }).Compose(H.Backbone, head))!;
        Assert.That(e.Message, Does.Contain("512-d").And.Contain("1280-d"));
    }

    [Test]
    public void AHeadWithoutFingerprintIsAcceptedWithAWarning()
    {
        var warnings = new List<string>();
        new FusedModelComposer(new ComposeOptions { WarningSink = warnings.Add }).Compose(H.Backbone, HeadWith(null));
        Assert.That(warnings, Has.Exactly(1).Contains("carries no cache fingerprint"));
    }

    [Test]
    public void FusedModelsAndHeadsAreNotTakenForEachOther()
    {
        var asHead = Assert.Throws<HeadFormatException>(() => HeadModel.Load(H.FusedPath))!;
        Assert.That(asHead.Message, Does.Contain("fused model").And.Contain("--model"));
        var asFused = Assert.Throws<InferenceException>(() => Predictor.FromFusedModel(H.HeadPath).Dispose())!;
        Assert.That(asFused.Message, Does.Contain("is a head").And.Contain("--backbone"));
        using var folder = new TempDirectory("inference-not-onnx");
        File.WriteAllText(folder.File("head.onnx"), "not a model");
        Assert.That(Assert.Throws<HeadFormatException>(() => HeadModel.Load(folder.File("head.onnx")))!.Message, Does.Contain("not an ONNX model"));
        Assert.Throws<FileNotFoundException>(() => HeadModel.Load(folder.File("missing.onnx")));
    }
}
