using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// One quick measurement of images/s: decode + preprocess alone (all cores), the backbone alone on pre-decoded tensors
/// (all cores), and the whole pipeline, on the hymenoptera set. Explicit: run on a quiet machine with
/// <c>dotnet test --filter Name=ThroughputOfStagesAndPipeline</c>; it asserts nothing about speed.
/// </summary>
[Explicit("measurement; run by hand on a quiet machine")]
public class ThroughputMeasurement
{
    [Test]
    public void ThroughputOfStagesAndPipeline([Values(32)] int batchSize, [Values(0)] int intraOpThreads, [Values(false)] bool spinning)
    {
        using var backbone = ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { IntraOpThreads = intraOpThreads, AllowSpinning = spinning });
        var items = InputSet.Open(SharedData.Hymenoptera).Items;
        var threads = Environment.ProcessorCount;

        // Warm up (JIT, ORT arena, page cache).
        using (var warm = new TempDirectory("features-warm")) Extract.Run(SharedData.Hymenoptera, warm.Path, new ExtractionOptions { BatchSize = batchSize, Limit = 96 }, backbone);

        // Decode + preprocess alone, on every core, into per-thread buffers.
        var clock = Stopwatch.StartNew();
        Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[backbone.ImageLength],
            (i, _, buffer) => { backbone.Prepare(items[i].Source, buffer); return buffer; }, _ => { });
        var decodeRate = items.Count / clock.Elapsed.TotalSeconds;

        // Backbone alone on pre-decoded tensors (the same images, batch after batch).
        using var batch = backbone.CreateBatch(batchSize);
        for (var i = 0; i < batchSize; i++) backbone.Prepare(items[i].Source, batch.ImageSlot(i));
        var embeddings = new float[batchSize * backbone.Dimension];
        backbone.Embed(batch, batchSize, embeddings);
        var rounds = Math.Max(1, items.Count / batchSize);
        clock.Restart();
        for (var r = 0; r < rounds; r++) backbone.Embed(batch, batchSize, embeddings);
        var inferenceRate = rounds * batchSize / clock.Elapsed.TotalSeconds;

        // The whole pipeline.
        using var cache = new TempDirectory("features-throughput");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var summary = Extract.Run(SharedData.Hymenoptera, cache.Path, new ExtractionOptions { BatchSize = batchSize }, backbone);
        var allocatedPerImage = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)items.Count;
        var limit = 1 / (1 / decodeRate + 1 / inferenceRate);
        TestContext.Out.WriteLine(
            $"{Environment.ProcessorCount} cores, batch {batchSize}, ORT threads {intraOpThreads}, spinning {spinning}: decode+preprocess {decodeRate:F0} img/s, backbone {inferenceRate:F0} img/s, " +
            $"shared-CPU limit {limit:F0} img/s; pipeline {summary.ImagesPerSecond:F0} img/s = {summary.ImagesPerSecond / limit:P0} of the limit");
        TestContext.Out.WriteLine(summary.ToString());
        TestContext.Out.WriteLine($"managed allocation {allocatedPerImage / 1024:F1} KiB per image for the whole run (input scan, cache, Parquet included)");
        Assert.That(summary.Embedded, Is.EqualTo(items.Count));
    }
}
