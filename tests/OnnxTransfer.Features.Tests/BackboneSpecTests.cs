using System.Text;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>Reading, writing and refusing backbone spec files.</summary>
public class BackboneSpecTests
{
    public static IEnumerable<string> ExampleSpecs() =>
        Directory.GetFiles(RepositoryPaths.OnnxModels, "*.backbone.json").Select(Path.GetFileName).Order()!;

    [TestCaseSource(nameof(ExampleSpecs))]
    public void ExampleSpecParsesAndRoundTrips(string file)
    {
        var spec = BackboneSpecFile.Load(Path.Combine(RepositoryPaths.OnnxModels, file));
        // Image specs carry an image section, text specs (all-MiniLM, bge, BERT) a text section.
        Assert.That(spec.Kind == BackboneKind.Image ? (object?)spec.Image : spec.Text, Is.Not.Null);
        Assert.That(spec.Kind == BackboneKind.Image ? (object?)spec.Text : spec.Image, Is.Null);
        var again = BackboneSpecFile.Parse(Encoding.UTF8.GetBytes(BackboneSpecFile.ToJson(spec)), spec.BaseDirectory!);
        Assert.That(again, Is.EqualTo(spec));
    }

    [Test]
    public void OnnxModelsHasTheSpecsTheReadmePromises() =>
        Assert.That(ExampleSpecs(), Is.SupersetOf(new[]
        {
            "mobilenetv2-int8.backbone.json", "resnet18-torchvision.backbone.json", "resnet50-torchvision.backbone.json",
            "resnet50-v1-7.backbone.json", "resnet50-v2-7.backbone.json",
        }));

    [Test]
    public void SharedMobileNetSpecFindsTheSharedModelThroughTheVariable()
    {
        var spec = TestBackbones.MobileNetV2Spec();
        Assert.That(spec.ModelPath, Does.StartWith("${ONNXTRANSFER_SHARED:-"));
        Assert.That(spec.ResolveModelPath(), Is.EqualTo(Path.GetFullPath(SharedData.MobileNetV2Int8Model)));
        Assert.That(spec.ModelSha256, Is.EqualTo(SharedData.MobileNetV2Sha256));
    }

    [Test]
    public void MinimalSpecGetsImageNetDefaults()
    {
        var spec = Parse("""{ "name": "m", "model": { "path": "m.onnx" } }""");
        Assert.That(spec.Image, Is.EqualTo(new ImageInputSpec()));
        Assert.That(spec.Image!.ToPreprocessSettings(spec.Layout), Is.EqualTo(PreprocessSettings.ImageNet));
        Assert.That(spec.Features, Is.EqualTo(new FeatureSpec(FeatureSpec.Auto, FeaturePooling.None, false)));
        Assert.That(spec.ModelSha256, Is.Null);
    }

    [Test]
    public void EverySettingIsRead()
    {
        var spec = Parse("""
            { "name": "m", "kind": "image", "model": { "path": "sub/m.onnx", "sha256": "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789" },
              "input": { "name": "x", "layout": "NHWC" },
              "image": { "recipe": "letterbox", "resize": 300, "width": 299, "height": 280, "filter": "bicubic", "scale": "byte",
                         "mean": [1, 2, 3], "std": [4, 5, 6], "channels": "BGR", "alpha": "flatten", "background": [1, 2, 3],
                         "pad": [9, 8, 7], "auto_rotate": false, "shrink_on_load": false },
              "features": { "tensor": "t", "pooling": "global-average", "l2_normalize": true } }
            """);
        Assert.That(spec.ModelSha256, Is.EqualTo("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
        Assert.That(spec.ResolveModelPath(), Is.EqualTo(Path.Combine(Path.GetTempPath(), "sub", "m.onnx")));
        Assert.That((spec.InputName, spec.Layout), Is.EqualTo(("x", TensorLayout.Nhwc)));
        Assert.That(spec.Image, Is.EqualTo(new ImageInputSpec
        {
            Preprocess = new PreprocessSettings
            {
                Mode = ResizeMode.Letterbox, ResizeShorterSide = 300, Width = 299, Height = 280, Filter = ResampleFilter.Bicubic, Scale = PixelScale.Byte,
                Mean = new ChannelValues(1, 2, 3), Std = new ChannelValues(4, 5, 6), ChannelOrder = ChannelOrder.Bgr, PadColor = new RgbColor(9, 8, 7),
            },
            Decoding = new ImageDecoderOptions { Alpha = AlphaHandling.Flatten, Background = new RgbColor(1, 2, 3), AutoRotate = false, ShrinkOnLoad = false },
        }));
        Assert.That(spec.Features, Is.EqualTo(new FeatureSpec("t", FeaturePooling.GlobalAverage, true)));
    }

    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "features": { "l2_normalise": true } }""", "\"features.l2_normalise\" is not a field")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "colour": 1 }""", "\"colour\" is not a field of the spec")]
    [TestCase("""{ "model": { "path": "m.onnx" } }""", "\"name\" is missing")]
    [TestCase("""{ "name": "m" }""", "\"model\" is missing")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx", "sha256": "abc" } }""", "64 hexadecimal digits")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "image": { "width": 0 } }""", "\"image.width\" is 0")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "image": { "mean": [1, 2] } }""", "\"image.mean\" must be an array of 3 numbers")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "image": { "std": [1, 0, 1] } }""", "must be non-zero")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "image": { "filter": "nearest" } }""", "\"image.filter\" is \"nearest\"; use one of")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "input": { "layout": "CHW" } }""", "\"input.layout\" is \"CHW\"")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "version": 2 }""", "newer than this OnnxTransfer")]
    [TestCase("""{ "name": "m", "model": { "path": "m.onnx" }, "format": "other" }""", "\"format\" is \"other\"")]
    [TestCase("""{ "name": "m", "kind": "text", "model": { "path": "m.onnx" } }""", "needs a \"text\" section")]
    [TestCase("""{ "name": 5, "model": { "path": "m.onnx" } }""", "\"name\" must be a string")]
    [TestCase("""[1, 2]""", "the spec must be a JSON object")]
    public void InvalidSpecIsRefusedNamingTheField(string json, string expected)
    {
        var e = Assert.Throws<BackboneSpecException>(() => Parse(json));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(expected));
    }

    [Test]
    public void InvalidJsonIsRefusedWithItsPosition()
    {
        var e = Assert.Throws<BackboneSpecException>(() => Parse("{\n  \"name\": \"m\",\n  \"model\": { \"path\": }\n}"));
        Assert.That(e!.Message, Does.Contain("not valid JSON").And.Contain("line 3"));
    }

    [Test]
    public void CommentsAndTrailingCommasAreAccepted() =>
        Assert.That(Parse("{ // a backbone\n \"name\": \"m\", \"model\": { \"path\": \"m.onnx\", }, }").Name, Is.EqualTo("m"));

    [Test]
    public void MissingSpecFileNamesTheWayToWriteOne()
    {
        var e = Assert.Throws<BackboneSpecException>(() => BackboneSpecFile.Load("/nonexistent/x.backbone.json"));
        Assert.That(e!.Message, Does.Contain("does not exist").And.Contain("backbone init"));
    }

    [Test]
    public void TextSpecIsReadForTheTextPipeline()
    {
        var spec = Parse("""
            { "name": "minilm", "kind": "text", "model": { "path": "m.onnx" },
              "text": { "tokenizer": "${ONNXTRANSFER_SHARED:-../shared}/tokenizers/bert-base-uncased", "max_length": 256, "pooling": "cls" } }
            """);
        Assert.That(spec.Kind, Is.EqualTo(BackboneKind.Text));
        Assert.That(spec.Text, Is.EqualTo(new TextInputSpec { Tokenizer = "${ONNXTRANSFER_SHARED:-../shared}/tokenizers/bert-base-uncased", MaxLength = 256, Pooling = TextPooling.Cls }));
        Assert.That(() => spec.RequireImage(), Throws.TypeOf<BackboneSpecException>().With.Message.Contains("text backbone"));
    }

    [Test]
    public void VariablesExpandWithShellDefaults()
    {
        const string name = "ONNXTRANSFER_FEATURES_TEST_VARIABLE";
        Environment.SetEnvironmentVariable(name, null);
        try
        {
            Assert.That(SpecPaths.Expand($"${{{name}:-/default}}/m.onnx", "model.path"), Is.EqualTo("/default/m.onnx"));
            var e = Assert.Throws<BackboneSpecException>(() => SpecPaths.Expand($"${{{name}}}/m.onnx", "model.path"));
            Assert.That(e!.Message, Does.Contain("which is not set").And.Contain($"Set {name}"));
            Environment.SetEnvironmentVariable(name, "/set");
            Assert.That(SpecPaths.Expand($"${{{name}:-/default}}/m.onnx", "model.path"), Is.EqualTo("/set/m.onnx"));
            Assert.That(SpecPaths.Resolve($"${{{name}}}/a/../m.onnx", "/base", "model.path"), Is.EqualTo("/set/m.onnx"));
            Assert.That(SpecPaths.Resolve("rel/m.onnx", "/base", "model.path"), Is.EqualTo("/base/rel/m.onnx"));
            Assert.Throws<BackboneSpecException>(() => SpecPaths.Expand("${oops/m.onnx", "model.path"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Test]
    public void SaveWritesEveryFieldAndLoadReadsItBack()
    {
        using var folder = new TempDirectory("features-spec");
        var spec = TestBackbones.MobileNetV2Spec() with { BaseDirectory = folder.Path, Description = "copy" };
        var path = folder.File("copy.backbone.json");
        BackboneSpecFile.Save(spec, path);
        Assert.That(BackboneSpecFile.Load(path), Is.EqualTo(spec));
        Assert.That(File.ReadAllText(path), Does.Contain("\"shrink_on_load\": true").And.Contain("\"l2_normalize\": false"));
        Assert.That(Directory.GetFiles(folder.Path), Has.Length.EqualTo(1), "no temporary file is left");
    }

    private static BackboneSpec Parse(string json) => BackboneSpecFile.Parse(Encoding.UTF8.GetBytes(json), Path.GetTempPath(), "test.backbone.json");
}
