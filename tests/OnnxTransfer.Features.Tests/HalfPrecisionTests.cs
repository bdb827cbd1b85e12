using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// fp16 and tf32 as settings of the model and its provider: a float32 backbone converted for fp16 and run end to end on
/// CPU (ONNX Runtime casts around what it has no float16 kernel for), its cache recording fp16 and refusing fp32 parts;
/// refusals that name the fix (a model already in float16 asked to run as fp32, an int8 model asked for fp16); the CUDA
/// options each precision gives. The GPU run itself is tools/bench/gpu.sh's (`verify --precision fp16` on CUDA).
/// </summary>
[NonParallelizable]
public class HalfPrecisionTests
{
    private static readonly string[] Sentences =
    [
        "a gripping , funny and moving film .",
        "the plot is paper-thin and the characters are n't interesting enough to watch them go about their daily activities for two whole hours .",
        "it 's a charming and often affecting journey .",
    ];

    [Test]
    public void Fp16OnCpuEmbedsImagesCloseToFp32AndTheCacheSaysFp16()
    {
        using var folder = new TempDirectory("features-fp16-extract");
        var images = folder.File("images");
        SharedData.LinkHymenopteraPhotos(images, 4, "train/ants", "val/bees");
        var spec = SyntheticBackbones.Spec(SyntheticBackbones.WriteResNetLike(folder));
        using var fp32 = ImageBackbone.Load(spec);
        using var fp16 = ImageBackbone.Load(spec, new BackboneRunOptions { Precision = ComputePrecision.Fp16 });
        Assert.That(fp16.Notes, Has.Some.StartsWith("Precision fp16: "));
        Assert.That((fp16.Numerics.Provider, fp16.Numerics.Precision), Is.EqualTo(("CPUExecutionProvider", "fp16")));
        Assert.That(fp16.Fingerprint, Is.EqualTo(fp32.Fingerprint), "same model and preprocessing: the numerics tell them apart");

        var summary = Extract.Run(images, folder.File("cache-fp16"), new ExtractionOptions { BatchSize = 3 }, fp16);
        Extract.Run(images, folder.File("cache-fp32"), new ExtractionOptions { BatchSize = 3 }, fp32);

        Assert.That((summary.Embedded, summary.Numerics.Precision), Is.EqualTo((8, "fp16")));
        var half = Extract.Read(folder.File("cache-fp16"));
        var full = Extract.Read(folder.File("cache-fp32"));
        var fullById = Enumerable.Range(0, full.Count).ToDictionary(i => full.Ids[i], i => full.Row(i).ToArray());
        var differ = 0;
        for (var i = 0; i < half.Count; i++)
        {
            var a = half.Row(i);
            var b = fullById[half.Ids[i]];
            Assert.That(Cosine(a, b), Is.GreaterThan(0.999), half.Ids[i]);
            if (!a.SequenceEqual(b)) differ++;
        }
        Assert.That(differ, Is.GreaterThan(0), "float16 weights and activations change the numbers");
        Assert.Throws<Cache.CacheNumericsMismatchException>(() => Extract.Run(images, folder.File("cache-fp16"), backbone: fp32),
            "an fp32 run does not extend an fp16 cache");
    }

    [Test]
    public void Fp16OnCpuEncodesTextCloseToFp32()
    {
        // A BERT-architecture encoder: the attention mask cast to float, LayerNorm, erf GELU and softmax all in float16.
        using var fp32 = TextBackbone.Load(TextTestModels.Spec());
        using var fp16 = TextBackbone.Load(TextTestModels.Spec(), new BackboneRunOptions { Precision = ComputePrecision.Fp16 });
        Assert.That(fp16.Numerics.Precision, Is.EqualTo("fp16"));
        var a = fp16.Embed(Sentences);
        var b = fp32.Embed(Sentences);
        var dimension = fp32.Dimension;
        for (var s = 0; s < Sentences.Length; s++)
            Assert.That(Cosine(a.AsSpan(s * dimension, dimension), b.AsSpan(s * dimension, dimension)), Is.GreaterThan(0.999), Sentences[s]);
        Assert.That(a, Is.Not.EqualTo(b));
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return dot / Math.Sqrt(aa * bb);
    }

    [Test]
    public void Fp16ConvertsAFloatBackboneAndSaysWhatItConverted()
    {
        using var folder = new TempDirectory("features-fp16");
        var model = OnnxModel.Load(SyntheticBackbones.WriteResNetLike(folder));
        Assert.That(ModelPrecision.Refusal(model, ComputePrecision.Fp16), Is.Null);
        Assert.That(ModelPrecision.Apply(model, ComputePrecision.Fp32), Is.Null, "fp32 and tf32 leave the graph alone");
        Assert.That(model.HasHalfPrecisionTensors, Is.False);

        var note = ModelPrecision.Apply(model, ComputePrecision.Fp16);

        Assert.That(note, Does.StartWith("Precision fp16: ").And.Contain("weight tensors").And.Contain("onnxtransfer verify"));
        Assert.That(model.HasHalfPrecisionTensors, Is.True);
        Assert.That(model.Inputs.Single().ElementType, Is.EqualTo(OnnxDataType.Float), "the pipeline still feeds float32 images");
        Assert.That(model.Outputs.Select(o => o.ElementType), Is.All.EqualTo(OnnxDataType.Float));
    }

    [Test]
    public void AModelAlreadyInFloat16IsRefusedAsFp32WithTheFix()
    {
        using var folder = new TempDirectory("features-fp16-model");
        var model = OnnxModel.Load(SyntheticBackbones.WriteResNetLike(folder));
        model.ConvertToFloat16(); // as onnxconverter-common's float16 tool would leave it (float32 inputs and outputs kept)
        var path = folder.File("tiny-fp16.onnx");
        model.Save(path);

        var refusal = Assert.Throws<BackboneSpecException>(() => ImageBackbone.Load(SyntheticBackbones.Spec(path)))!;
        Assert.That(refusal.Message, Does.Contain("computes in float16").And.Contain("--precision fp16").And.Contain("float32 model"));
        using var asFp16 = ImageBackbone.Load(SyntheticBackbones.Spec(path), new BackboneRunOptions { Precision = ComputePrecision.Fp16 });
        Assert.That(asFp16.Notes, Has.Some.Contains("already computes in float16"));
    }

    [Test]
    public void Fp16OfAnInt8ModelIsRefused()
    {
        var refusal = ModelPrecision.Refusal(OnnxModel.Load(SharedData.MobileNetV2Int8Model), ComputePrecision.Fp16);
        Assert.That(refusal, Does.Contain("int8-quantised").And.Contain("--precision fp32"));
    }

    [TestCase(ComputePrecision.Fp32, "0")]
    [TestCase(ComputePrecision.Tf32, "1")]
    [TestCase(ComputePrecision.Fp16, "0")]
    public void CudaUsesTf32OnlyWhenAskedFor(ComputePrecision precision, string useTf32)
    {
        // ONNX Runtime's CUDA provider defaults to TF32; fp32 must say no, and fp16's float32 remainder stays float32.
        var options = new BackboneRunOptions { Device = DeviceKind.Cuda, Precision = precision }.CudaProviderOptions();
        Assert.That(options["use_tf32"], Is.EqualTo(useTf32));
        Assert.That(options["cudnn_conv_algo_search"], Is.EqualTo("EXHAUSTIVE"));
    }

    [TestCase(ComputePrecision.Fp32, SpeedSwitch.Auto, "0")]
    [TestCase(ComputePrecision.Tf32, SpeedSwitch.Auto, "1")]
    [TestCase(ComputePrecision.Fp16, SpeedSwitch.Auto, "1")]
    [TestCase(ComputePrecision.Fp32, SpeedSwitch.On, "1")]
    [TestCase(ComputePrecision.Tf32, SpeedSwitch.Off, "0")]
    [TestCase(ComputePrecision.Fp16, SpeedSwitch.Off, "0")]
    public void CudaRunsConvolutionsChannelsLastAtTensorCorePrecisionsUnlessTold(ComputePrecision precision, SpeedSwitch preferNhwc, string expected)
    {
        var options = new BackboneRunOptions { Device = DeviceKind.Cuda, Precision = precision, PreferNhwc = preferNhwc };
        Assert.That(options.CudaProviderOptions()["prefer_nhwc"], Is.EqualTo(expected));
        Assert.That(options.UsesNhwc, Is.EqualTo(expected == "1"));
        // On CPU the provider picks its own layout: auto and off ask nothing, and nothing is reported.
        Assert.That((options with { Device = DeviceKind.Cpu, PreferNhwc = SpeedSwitch.Auto }).UsesNhwc, Is.False);
    }

    [Test]
    public void ChannelsLastOnCpuIsRefusedNamingTheFix()
    {
        var options = new BackboneRunOptions { PreferNhwc = SpeedSwitch.On };
        var e = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.That(e!.Message, Does.Contain("--prefer-nhwc").And.Contain("--device cuda"));
        Assert.DoesNotThrow(() => (options with { Device = DeviceKind.Cuda }).Validate());
        Assert.DoesNotThrow(() => (options with { PreferNhwc = SpeedSwitch.Off }).Validate());
    }
}
