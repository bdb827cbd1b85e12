using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// A predictor at fp16 (the model converted to float16 in memory) on CPU, fused and chained, against the same model at
/// fp32: the numbers move by float16's rounding, the decisions stay. The speed is CUDA's (tools/bench/gpu.sh).
/// </summary>
public class HalfPrecisionPredictionTests
{
    [Test]
    public void Fp16FusedAndChainedPredictLikeFp32()
    {
        var s = TextSst2.For();
        var sentences = s.HeldOut;
        var warnings = new List<string>();
        using var fp32 = Predictor.FromFusedModel(s.FusedPath, new PredictorOptions { MaxBatchSize = 16 });
        using var fused = Predictor.FromFusedModel(s.FusedPath, new PredictorOptions { MaxBatchSize = 16, Precision = ComputePrecision.Fp16, WarningSink = warnings.Add });
        using var chained = Predictor.FromBackbone(s.Spec, s.HeadModel, new PredictorOptions { MaxBatchSize = 16, Precision = ComputePrecision.Fp16 });
        Assert.That(warnings, Has.Some.StartsWith("Precision fp16: "), "the conversion says what it did");

        var reference = fp32.PredictTexts(sentences);
        foreach (var (name, predictor) in new[] { ("fused", fused), ("chained", chained) })
        {
            var half = predictor.PredictTexts(sentences);
            var difference = TextSst2.MaxDifference(half.SelectMany(p => p.Probabilities!).ToArray(), reference.SelectMany(p => p.Probabilities!).ToArray());
            var agree = half.Zip(reference, (a, b) => a.Label == b.Label).Count(x => x) / (double)sentences.Length;
            TestContext.Out.WriteLine($"{name} fp16 vs fp32: max |Δp| {difference:E2}, top-1 agreement {agree:P1}");
            Assert.That(difference, Is.GreaterThan(0), $"{name}: float16 changes the numbers");
            Assert.That(difference, Is.LessThan(0.01), name);
            Assert.That(agree, Is.GreaterThanOrEqualTo(0.95), name);
        }
    }

    [Test]
    public void Tf32OnCpuIsRefusedAndFp16OfAnInt8ModelToo()
    {
        var tf32 = Assert.Throws<ArgumentException>(() => Predictor.FromFusedModel(Hymenoptera.Instance.FusedPath, new PredictorOptions { Precision = ComputePrecision.Tf32 }))!;
        Assert.That(tf32.Message, Does.Contain("tf32 needs a GPU"));
        var int8 = Assert.Throws<InferenceException>(() => Predictor.FromFusedModel(Hymenoptera.Instance.FusedPath, new PredictorOptions { Precision = ComputePrecision.Fp16 }))!;
        Assert.That(int8.Message, Does.Contain("int8-quantised"));
    }

    [Test]
    public void ChannelsLastOnCpuIsRefusedAndAutoRunsAsBefore()
    {
        var refused = Assert.Throws<ArgumentException>(() => Predictor.FromFusedModel(Hymenoptera.Instance.FusedPath,
            new PredictorOptions { PreferNhwc = SpeedSwitch.On }))!;
        Assert.That(refused.Message, Does.Contain("--prefer-nhwc").And.Contain("--device cuda"));
        using var predictor = Predictor.FromFusedModel(Hymenoptera.Instance.FusedPath, new PredictorOptions { PreferNhwc = SpeedSwitch.Off });
        Assert.That(predictor.ActiveProviders, Does.Contain("CPUExecutionProvider"));
    }
}
