using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>Loading a backbone: what is checked against the model, what is refused, and what the cut model computes.</summary>
public class ImageBackboneTests
{
    [Test]
    public void SharedMobileNetLoadsCutAtItsFeatureTensor()
    {
        var backbone = TestBackbones.MobileNetV2;
        Assert.That(backbone.FeatureTensor, Is.EqualTo(SharedData.MobileNetV2FeatureTensor));
        Assert.That(backbone.Dimension, Is.EqualTo(1280));
        Assert.That(backbone.ModelSha256, Is.EqualTo(SharedData.MobileNetV2Sha256));
        Assert.That(backbone.InputName, Is.EqualTo("input"));
        Assert.That(backbone.FixedBatchSize, Is.Null);
        Assert.That(backbone.ActiveProviders, Is.EqualTo(new[] { "CPUExecutionProvider" }));
        Assert.That(backbone.Notes, Is.Empty);
    }

    [Test]
    public void AutoFeatureTensorIsTheLocatorsChoiceAndGivesTheSameFingerprint()
    {
        using var auto = ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { Features = new FeatureSpec() });
        Assert.That(auto.FeatureTensor, Is.EqualTo(SharedData.MobileNetV2FeatureTensor));
        Assert.That(auto.FeatureExplanation, Does.Contain("Gemm"));
        Assert.That(auto.Fingerprint, Is.EqualTo(TestBackbones.MobileNetV2.Fingerprint), "the fingerprint holds the resolved tensor, not \"auto\"");
    }

    [Test]
    public void EmbeddingsEqualTheFullModelsFeatureTensorForAnyBatchSize()
    {
        var backbone = TestBackbones.MobileNetV2;
        var names = SharedData.ReferenceNames.Take(5).ToArray();
        using var batch = backbone.CreateBatch(names.Length);
        for (var i = 0; i < names.Length; i++) backbone.Prepare(SharedData.ReferenceImage(names[i]), batch.ImageSlot(i));
        var together = new float[names.Length * backbone.Dimension];
        backbone.Embed(batch, names.Length, together);

        // One by one (a partial batch) gives the same bits: rows do not depend on their neighbours.
        for (var i = 0; i < names.Length; i++)
        {
            using var single = backbone.CreateBatch(3);
            batch.ImageSlot(i).CopyTo(single.ImageSlot(0));
            var alone = new float[backbone.Dimension];
            backbone.Embed(single, 1, alone);
            Assert.That(alone, Is.EqualTo(together.AsSpan(i * backbone.Dimension, backbone.Dimension).ToArray()), names[i]);
        }

        // And they are the uncut model's feature tensor (exposed as an output), so cutting changed nothing.
        var model = Onnx.OnnxModel.Load(SharedData.MobileNetV2Int8Model);
        model.ExposeOutput(SharedData.MobileNetV2FeatureTensor);
        using var session = new InferenceSession(model.ToBytes());
        using var input = OrtTestRuns.Tensor(batch.Input.ToArray(), [names.Length, 3, 224, 224]);
        using var result = session.RunNamed(["input"], [input], [SharedData.MobileNetV2FeatureTensor]);
        Assert.That(result[0].GetTensorData<float>().ToArray(), Is.EqualTo(together));
    }

    [Test]
    public void CudaThatCannotStartIsRefusedInStrictModeAndFallsBackOtherwise()
    {
        // The ONNX Runtime used here is the CPU build (no CUDA provider libraries), as on most machines without a GPU.
        var spec = TestBackbones.MobileNetV2Spec();
        try
        {
            using var cuda = ImageBackbone.Load(spec, new BackboneRunOptions { Device = DeviceKind.Cuda, Strict = true });
            Assert.Ignore($"CUDA started here ({string.Join(", ", cuda.ActiveProviders)}); the refusal cannot be shown on this machine.");
        }
        catch (ExecutionProviderUnavailableException e)
        {
            Assert.That(e.ProviderName, Is.EqualTo(CudaExecutionProvider.ProviderName));
        }
        var warnings = new List<string>();
        using var fallback = ImageBackbone.Load(spec, new BackboneRunOptions { Device = DeviceKind.Cuda, Strict = false, WarningSink = warnings.Add });
        Assert.That(fallback.ActiveProviders, Is.EqualTo(new[] { CpuExecutionProvider.ProviderName }));
        Assert.That(warnings, Is.Not.Empty);
        Assert.That(fallback.Fingerprint, Is.EqualTo(TestBackbones.MobileNetV2.Fingerprint), "the device is not part of the fingerprint");
    }

    [Test]
    public void Sha256MismatchIsRefusedShowingBothHashes()
    {
        var wrong = new string('0', 64);
        var e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { ModelSha256 = wrong }));
        Assert.That(e!.Message, Does.Contain(wrong).And.Contain(SharedData.MobileNetV2Sha256));
    }

    [Test]
    public void UnpinnedModelLoadsWithANote()
    {
        using var backbone = ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { ModelSha256 = null });
        Assert.That(backbone.Notes.Single(), Does.Contain(SharedData.MobileNetV2Sha256));
        Assert.That(backbone.Fingerprint, Is.EqualTo(TestBackbones.MobileNetV2.Fingerprint), "the fingerprint uses the file's actual sha256");
    }

    [Test]
    public void MissingModelFileIsRefusedNamingThePath()
    {
        var e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { ModelPath = "nowhere/model.onnx" }));
        Assert.That(e!.Message, Does.Contain(Path.Combine(RepositoryPaths.OnnxModels, "nowhere", "model.onnx")).And.Contain("onnx-models/README.md"));
    }

    [Test]
    public void FeatureTensorNotInTheModelIsRefusedWithSimilarNames()
    {
        var e = Assert.Throws<BackboneSpecException>(() =>
            ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { Features = new FeatureSpec("/flatten_output_0") }));
        Assert.That(e!.Message, Does.Contain("'/flatten_output_0'").And.Contain("/Flatten_output_0"));
    }

    [Test]
    public void SizeThatDoesNotFitTheModelIsRefused()
    {
        var spec = TestBackbones.MobileNetV2Spec();
        var e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(spec with { Image = spec.Image! with { Preprocess = spec.Image.Preprocess with { Width = 299, Height = 299 } } }));
        Assert.That(e!.Message, Does.Contain("299×299").And.Contain("224×224"));
    }

    [Test]
    public void WrongLayoutIsRefusedWithAHint()
    {
        var e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { Layout = TensorLayout.Nhwc }));
        Assert.That(e!.Message, Does.Contain("set input.layout to \"NCHW\""));
    }

    [Test]
    public void WrongInputNameIsRefusedListingTheInputs()
    {
        var e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(TestBackbones.MobileNetV2Spec() with { InputName = "data" }));
        Assert.That(e!.Message, Does.Contain("no input 'data'").And.Contain("'input"));
    }

    [Test]
    public void GlobalAveragePoolingOfTheFeatureMapEqualsTheModelsOwnPooling()
    {
        using var folder = new TempDirectory("features-synthetic");
        var model = SyntheticBackbones.WriteResNetLike(folder);
        using var pooled = ImageBackbone.Load(SyntheticBackbones.Spec(model));
        using var map = ImageBackbone.Load(SyntheticBackbones.Spec(model, SyntheticBackbones.FeatureMap, FeaturePooling.GlobalAverage));
        Assert.That((pooled.Dimension, map.Dimension), Is.EqualTo((SyntheticBackbones.Channels, SyntheticBackbones.Channels)));

        var (a, b) = (EmbedReferenceImages(pooled, 3), EmbedReferenceImages(map, 3));
        Assert.That(b, Is.EqualTo(a).Within(1e-5f));
        Assert.That(map.Fingerprint.Differences(pooled.Fingerprint).Select(d => d.Field), Is.EquivalentTo(new[] { "features.pooling", "features.tensor" }));
    }

    [Test]
    public void FeatureMapWithoutPoolingAndPooledTensorWithPoolingAreRefused()
    {
        using var folder = new TempDirectory("features-synthetic");
        var model = SyntheticBackbones.WriteResNetLike(folder);
        var e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(SyntheticBackbones.Spec(model, SyntheticBackbones.FeatureMap)));
        Assert.That(e!.Message, Does.Contain("\"global-average\""));
        e = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(SyntheticBackbones.Spec(model, pooling: FeaturePooling.GlobalAverage)));
        Assert.That(e!.Message, Does.Contain("set features.pooling to \"none\""));
    }

    [Test]
    public void L2NormalisationGivesUnitVectorsInTheSameDirection()
    {
        using var folder = new TempDirectory("features-synthetic");
        var model = SyntheticBackbones.WriteResNetLike(folder);
        using var plain = ImageBackbone.Load(SyntheticBackbones.Spec(model));
        using var unit = ImageBackbone.Load(SyntheticBackbones.Spec(model, l2: true));
        var (a, b) = (EmbedReferenceImages(plain, 2), EmbedReferenceImages(unit, 2));
        for (var i = 0; i < 2; i++)
        {
            var row = b.AsSpan(i * unit.Dimension, unit.Dimension);
            Assert.That(System.Numerics.Tensors.TensorPrimitives.Norm(row), Is.EqualTo(1f).Within(1e-6f));
            Assert.That(TestBackbones.Cosine(row, a.AsSpan(i * plain.Dimension, plain.Dimension)), Is.EqualTo(1f).Within(1e-6f));
        }
        Assert.That(unit.Fingerprint.Differences(plain.Fingerprint).Single().Field, Is.EqualTo("features.l2_normalize"));
    }

    [Test]
    public void SpeedSwitchlRunsInBatchesOfItsSize()
    {
        using var folder = new TempDirectory("features-synthetic");
        var fixedOne = SyntheticBackbones.WriteResNetLike(folder, "fixed.onnx", batch: 1);
        var dynamic = SyntheticBackbones.WriteResNetLike(folder, "dynamic.onnx");
        using var backbone = ImageBackbone.Load(SyntheticBackbones.Spec(fixedOne));
        Assert.That(backbone.FixedBatchSize, Is.EqualTo(1));
        Assert.That(backbone.Notes.Single(), Does.Contain("fixed to 1"));
        using var cache = new TempDirectory("features-fixed-cache");
        using var referenceCache = new TempDirectory("features-dynamic-cache");
        var summary = Extract.Run(SharedData.ReferenceImages, cache.Path, new() { BatchSize = 8 }, backbone);
        using var free = ImageBackbone.Load(SyntheticBackbones.Spec(dynamic));
        Extract.Run(SharedData.ReferenceImages, referenceCache.Path, new() { BatchSize = 8 }, free);
        Assert.That((summary.Embedded, summary.BatchSize), Is.EqualTo((11, 1)));
        Assert.That(Extract.Read(cache.Path).Values, Is.EqualTo(Extract.Read(referenceCache.Path).Values));
    }

    [Test]
    public void ChannelsLastModelRunsWithTheNhwcLayout()
    {
        using var folder = new TempDirectory("features-synthetic");
        var nchw = SyntheticBackbones.WriteResNetLike(folder, "nchw.onnx");
        var nhwc = SyntheticBackbones.WriteResNetLike(folder, "nhwc.onnx", channelsLast: true);
        var built = BackboneSpecBuilder.FromModel(nhwc, folder.File("nhwc.backbone.json")).Spec;
        Assert.That(built.Layout, Is.EqualTo(TensorLayout.Nhwc));
        using var a = ImageBackbone.Load(SyntheticBackbones.Spec(nchw));
        using var b = ImageBackbone.Load(SyntheticBackbones.Spec(nhwc, layout: TensorLayout.Nhwc));
        Assert.That(EmbedReferenceImages(b, 2), Is.EqualTo(EmbedReferenceImages(a, 2)).Within(1e-5f));
    }

    private static float[] EmbedReferenceImages(ImageBackbone backbone, int count)
    {
        using var batch = backbone.CreateBatch(count);
        for (var i = 0; i < count; i++) backbone.Prepare(SharedData.ReferenceImage(SharedData.ReferenceNames[i]), batch.ImageSlot(i));
        var embeddings = new float[count * backbone.Dimension];
        backbone.Embed(batch, count, embeddings);
        return embeddings;
    }
}
