using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Pipeline;
using OnnxTransfer.Formats;
using OnnxTransfer.Text.Input;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Issue 14 (a run's first-batch cost timed apart, CPU-testable part): extraction that runs the model once on a blank
/// batch before the pipeline starts writes exactly the cache of a run that does not, with the batches set up as on CUDA
/// (fixed shapes, bound buffers); the warm-up is timed on its own, inside the run's time; auto does it on CUDA only; a
/// text backbone does not warm up.
/// </summary>
[NonParallelizable]
public sealed class ModelWarmUpTests
{
    [Test]
    public void AWarmedUpRunWritesTheSameBytesAndTimesTheWarmUpApart()
    {
        using var backbone = ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { FixedBatch = SpeedSwitch.On, IoBinding = SpeedSwitch.On });
        using var temp = new TempDirectory("features-warm-up");
        var val = Path.Combine(SharedData.Hymenoptera, "val"); // 153 photos: 9 full batches of 16 and a padded one of 9
        var summaries = new Dictionary<SpeedSwitch, ExtractionSummary>();
        foreach (var warmUp in new[] { SpeedSwitch.Off, SpeedSwitch.On })
            summaries[warmUp] = Extract.Run(val, temp.File($"cache-{warmUp}"), new ExtractionOptions { BatchSize = 16, DecodeThreads = 2, WarmUp = warmUp }, backbone);

        var (off, on) = (summaries[SpeedSwitch.Off], summaries[SpeedSwitch.On]);
        Assert.That((off.Embedded, on.Embedded), Is.EqualTo((153, 153)));
        Assert.That(off.WarmUpTime, Is.EqualTo(TimeSpan.Zero));
        Assert.That(on.WarmUpTime, Is.GreaterThan(TimeSpan.Zero).And.LessThan(on.Elapsed), on.ToString());
        Assert.That(on.ImagesPerSecondAfterWarmUp, Is.GreaterThan(on.ImagesPerSecond), "the rate after the warm-up leaves its time out");
        Assert.That(off.ImagesPerSecondAfterWarmUp, Is.EqualTo(off.ImagesPerSecond));

        var names = Directory.GetFiles(temp.File("cache-Off"), "*.parquet").Select(Path.GetFileName).Order().ToArray();
        Assert.That(names, Is.Not.Empty);
        foreach (var name in names)
            Assert.That(File.ReadAllBytes(Path.Combine(temp.File("cache-On"), name!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(temp.File("cache-Off"), name!))), name);
    }

    [Test]
    public void AutoWarmsUpOnCudaOnly()
    {
        string[] cpu = [EmbeddingNumerics.CpuProvider];
        string[] cuda = [EmbeddingNumerics.CudaProvider, EmbeddingNumerics.CpuProvider];
        Assert.That((ModelWarmUp.Resolve(SpeedSwitch.Auto, cpu), ModelWarmUp.Resolve(SpeedSwitch.Auto, cuda)), Is.EqualTo((false, true)));
        Assert.That((ModelWarmUp.Resolve(SpeedSwitch.On, cpu), ModelWarmUp.Resolve(SpeedSwitch.Off, cuda)), Is.EqualTo((true, false)));

        using var temp = new TempDirectory("features-warm-up-auto");
        var summary = Extract.Run(Path.Combine(SharedData.Hymenoptera, "val", "ants"), temp.File("cache"), new ExtractionOptions { BatchSize = 16 });
        Assert.That(summary.WarmUpTime, Is.EqualTo(TimeSpan.Zero), "auto on CPU: no warm-up");
    }

    [Test]
    public void ATextBackboneDoesNotWarmUp()
    {
        using var temp = new TempDirectory("features-warm-up-text");
        var texts = TextTestModels.Sst2Subset(temp, 40);
        using var cache = EmbeddingCache.OpenForWriting(temp.File("cache"), ExtractionPipeline.ManifestFor(TextTestModels.Tiny));
        var summary = new ExtractionPipeline(TextTestModels.Tiny, new ExtractionOptions { BatchSize = 8, WarmUp = SpeedSwitch.On })
            .Run(TextInputFiles.Open(texts, new TextInputOptions { LabelPrefix = true }), cache);
        Assert.That((summary.Embedded, summary.WarmUpTime), Is.EqualTo((40, TimeSpan.Zero)), "a text batch's shape follows its longest text: no one run stands for the rest");
    }
}
