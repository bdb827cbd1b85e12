using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// A backbone keeps an extraction run's batches for its next run (no new buffers to allocate and fault in): the next run
/// over other inputs, with a broken input and a short batch, embeds byte for byte what a fresh backbone does, image and
/// text; batches of one shape come back, another shape replaces them, at most one run's worth is kept, and disposing
/// the backbone disposes them.
/// </summary>
public sealed class BatchReuseTests
{
    [Test]
    public void ASecondImageRunWithOneBackboneEmbedsExactlyAsAFreshBackbone()
    {
        using var first = new TempDirectory("reuse-first-images");
        using var second = new TempDirectory("reuse-second-images");
        var ants = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", "ants"), "*.jpg").Order(StringComparer.Ordinal).ToArray();
        var bees = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", "bees"), "*.jpg").Order(StringComparer.Ordinal).ToArray();
        foreach (var photo in ants.Take(20)) File.Copy(photo, first.File(Path.GetFileName(photo)));
        foreach (var photo in bees.Take(13)) File.Copy(photo, second.File(Path.GetFileName(photo))); // 8 + 5: a short last batch
        File.WriteAllBytes(second.File("broken.jpg"), File.ReadAllBytes(bees[13])[..1000]);
        var options = new ExtractionOptions { BatchSize = 8 };

        using var reused = ImageBackbone.Load(TestBackbones.MobileNetV2Spec());
        using var firstCache = new TempDirectory("reuse-first-cache");
        Run(reused, first.Path, firstCache.Path, options);
        Assert.That(reused.IdleBatchCount, Is.GreaterThan(0), "the first run's batches are kept for the next");
        using var reusedCache = new TempDirectory("reuse-second-cache");
        var summary = Run(reused, second.Path, reusedCache.Path, options);

        using var fresh = ImageBackbone.Load(TestBackbones.MobileNetV2Spec());
        using var freshCache = new TempDirectory("reuse-fresh-cache");
        Run(fresh, second.Path, freshCache.Path, options);

        Assert.That(summary.Embedded, Is.EqualTo(13));
        Assert.That(summary.Failed, Is.EqualTo(1));
        Assert.That(Extract.Errors(reusedCache.Path).Select(e => e.Id), Is.EqualTo(Extract.Errors(freshCache.Path).Select(e => e.Id)));
        Extract.AssertSameEmbeddings(freshCache.Path, reusedCache.Path);
    }

    [Test]
    public void ASecondTextRunWithOneBackboneEmbedsExactlyAsAFreshBackbone()
    {
        using var folder = new TempDirectory("reuse-texts");
        var lines = File.ReadLines(SharedData.Sst2Train).Take(90).ToArray();
        File.WriteAllLines(folder.File("first.txt"), lines[..50]); // long and short texts in other buckets than the second file's
        File.WriteAllLines(folder.File("second.txt"), lines[50..]);
        var options = new ExtractionOptions { BatchSize = 8, TextWindow = 24 };

        using var reused = TextBackbone.Load(TextTestModels.Spec());
        RunTexts(reused, folder.File("first.txt"), folder.File("first-cache"), options);
        Assert.That(reused.IdleBatchCount, Is.GreaterThan(0), "the first run's batches are kept for the next");
        RunTexts(reused, folder.File("second.txt"), folder.File("reused-cache"), options);
        using var fresh = TextBackbone.Load(TextTestModels.Spec());
        RunTexts(fresh, folder.File("second.txt"), folder.File("fresh-cache"), options);

        Assert.That(Extract.Read(folder.File("reused-cache")).Count, Is.EqualTo(40));
        Extract.AssertSameEmbeddings(folder.File("fresh-cache"), folder.File("reused-cache"));
    }

    [Test]
    public void KeptBatchesComeBackByShapeAtMostOneRunsWorthAndGoWithTheBackbone()
    {
        var backbone = ImageBackbone.Load(TestBackbones.MobileNetV2Spec());
        var eight = backbone.BatchingFor(new ExtractionOptions { BatchSize = 8 }, pending: 100);
        var four = backbone.BatchingFor(new ExtractionOptions { BatchSize = 4 }, pending: 100);

        var run = new[] { backbone.RentBatch(eight), backbone.RentBatch(eight) };
        Assert.That(run[0], Is.Not.SameAs(run[1]));
        backbone.ReturnBatches(eight, run);
        Assert.That(backbone.IdleBatchCount, Is.EqualTo(2));
        var again = new[] { backbone.RentBatch(eight), backbone.RentBatch(eight), backbone.RentBatch(eight) };
        Assert.That(again.Take(2), Is.EquivalentTo(run), "a run of the same shape gets the kept batches");
        Assert.That(again[2], Is.Not.AnyOf(run[0], run[1]), "and new ones beyond them");

        var concurrent = backbone.RentBatch(eight);
        backbone.ReturnBatches(eight, again);
        backbone.ReturnBatches(eight, [concurrent]); // another run's batch, the shelf already full: disposed
        Assert.That(backbone.IdleBatchCount, Is.EqualTo(3));
        Assert.That(() => ((ImageBatch)concurrent).Input.Length, Throws.TypeOf<ObjectDisposedException>());

        var small = backbone.RentBatch(four);
        Assert.That(small.Capacity, Is.EqualTo(4), "another shape is a new batch");
        backbone.ReturnBatches(four, [small]);
        Assert.That(backbone.IdleBatchCount, Is.EqualTo(1), "and replaces the kept ones");
        Assert.That(() => ((ImageBatch)again[0]).Input.Length, Throws.TypeOf<ObjectDisposedException>());

        backbone.Dispose();
        Assert.That(() => ((ImageBatch)small).Input.Length, Throws.TypeOf<ObjectDisposedException>(), "disposed with the backbone");
        Assert.That(() => backbone.RentBatch(four), Throws.TypeOf<ObjectDisposedException>());
    }

    private static ExtractionSummary Run(ImageBackbone backbone, string images, string cacheFolder, ExtractionOptions options)
    {
        using var cache = EmbeddingCache.OpenForWriting(cacheFolder, ExtractionPipeline.ManifestFor(backbone));
        return new ExtractionPipeline(backbone, options).Run(InputSet.Open(images), cache);
    }

    private static void RunTexts(TextBackbone backbone, string texts, string cacheFolder, ExtractionOptions options)
    {
        using var cache = EmbeddingCache.OpenForWriting(cacheFolder, ExtractionPipeline.ManifestFor(backbone));
        new ExtractionPipeline(backbone, options).Run(TextInputFiles.Open(texts, new TextInputOptions { LabelPrefix = true }), cache);
    }
}
