using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Formats;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>The cache as a folder: creation, refusal of foreign content, locking, interruption and resumption.</summary>
[NonParallelizable]
public class EmbeddingCacheTests
{
    private static string ValAnts => Path.Combine(SharedData.Hymenoptera, "val", "ants");

    [Test]
    public void ManifestRecordsTheFingerprintAndReadsBack()
    {
        using var folder = new TempDirectory("features-cache");
        Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 3 });
        using var cache = EmbeddingCache.Open(folder.Path);
        Assert.That(cache.Fingerprint, Is.EqualTo(TestBackbones.MobileNetV2.Fingerprint));
        Assert.That(cache.Manifest.BackboneName, Is.EqualTo("mobilenetv2-int8"));
        Assert.That(cache.Manifest.FeatureTensor, Is.EqualTo(SharedData.MobileNetV2FeatureTensor));
        Assert.That(cache.Manifest.CreatedBy, Does.StartWith("onnxtransfer "));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, CacheLayout.ManifestFile)));
        Assert.That(json.RootElement.GetProperty("dim").GetInt32(), Is.EqualTo(1280));
        Assert.That(json.RootElement.GetProperty("fingerprint_sha256").GetString(), Is.EqualTo(cache.Fingerprint.Sha256));
        Assert.That(Directory.GetFiles(folder.Path, ".*").Select(Path.GetFileName), Is.All.StartsWith(CacheLayout.LockFile), "no temporary file is left, only the lock files");
    }

    [Test]
    public void AnotherPreprocessingIsRefusedNamingTheDifferenceUnlessANewCacheIsAsked()
    {
        using var folder = new TempDirectory("features-cache");
        Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 4 });
        var spec = TestBackbones.MobileNetV2Spec();
        using var other = ImageBackbone.Load(spec with { Image = spec.Image! with { Preprocess = spec.Image.Preprocess with { ResizeShorterSide = 288 } } });

        var e = Assert.Throws<CacheFingerprintMismatchException>(() => Extract.Run(ValAnts, folder.Path, backbone: other));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Differences.Single().Field, Is.EqualTo("preprocessing.resize"));
        Assert.That(e.Message, Does.Contain("preprocessing.resize: cache has 256, this run has 288").And.Contain("--new-cache"));
        Assert.That(Extract.Read(folder.Path).Count, Is.EqualTo(4), "the refused run changed nothing");

        var replaced = Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 2 }, other, newCache: true);
        Assert.That((replaced.AlreadyCached, replaced.Embedded), Is.EqualTo((0, 2)));
        using var cache = EmbeddingCache.Open(folder.Path);
        Assert.That(cache.Fingerprint, Is.EqualTo(other.Fingerprint));
        Assert.That(cache.ReadEmbeddings().Count, Is.EqualTo(2));
    }

    [Test]
    public void FolderThatIsNotACacheIsRefused()
    {
        using var folder = new TempDirectory("features-cache");
        File.WriteAllText(folder.File("notes.txt"), "mine");
        var e = Assert.Throws<CacheException>(() => Extract.Run(ValAnts, folder.Path, newCache: true));
        Assert.That(e!.Message, Does.Contain("not empty and is not an embedding cache").And.Contain("'notes.txt'"));
        Assert.That(File.ReadAllText(folder.File("notes.txt")), Is.EqualTo("mine"));
        Assert.That(() => EmbeddingCache.Open(folder.Path), Throws.TypeOf<CacheException>().With.Message.Contains("not an embedding cache"));
        Assert.That(() => EmbeddingCache.Open(folder.File("missing")), Throws.TypeOf<CacheException>().With.Message.Contains("does not exist"));
    }

    [Test]
    public void OnlyOneRunWritesACacheAtATime()
    {
        using var folder = new TempDirectory("features-cache");
        var manifest = ExtractionPipeline.ManifestFor(TestBackbones.MobileNetV2);
        using (EmbeddingCache.OpenForWriting(folder.Path, manifest))
        {
            var e = Assert.Throws<CacheException>(() => EmbeddingCache.OpenForWriting(folder.Path, manifest));
            Assert.That(e!.Message, Does.Contain("another extraction").IgnoreCase.And.Contain("is writing"));
            Assert.DoesNotThrow(() => EmbeddingCache.Open(folder.Path).Dispose(), "readers need no lock");
        }
        Assert.DoesNotThrow(() => EmbeddingCache.OpenForWriting(folder.Path, manifest).Dispose());
    }

    [Test]
    public void LeftoverTemporaryFilesOfAKilledRunAreRemovedAndPartsOfAnotherCacheRefused()
    {
        using var folder = new TempDirectory("features-cache");
        using var stranger = new TempDirectory("features-cache-stranger");
        Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 2 });
        File.WriteAllText(folder.File(".part-00009.parquet.0123.tmp"), "half a part");
        Directory.CreateDirectory(folder.File(CacheLayout.ErrorsFolder));
        File.WriteAllText(folder.File($"{CacheLayout.ErrorsFolder}/.part-00009.parquet.0123.tmp"), "half");
        Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 1 });
        Assert.That(Directory.GetFiles(folder.Path, "*.tmp", SearchOption.AllDirectories), Is.Empty);

        var spec = TestBackbones.MobileNetV2Spec();
        using var other = ImageBackbone.Load(spec with { Features = spec.Features with { L2Normalize = true } });
        Extract.Run(ValAnts, stranger.Path, new ExtractionOptions { Limit = 1 }, other);
        File.Copy(Path.Combine(stranger.Path, "part-00000.parquet"), folder.File("part-00042.parquet"));
        File.Copy(Path.Combine(stranger.Path, "part-00000.parquet.sha256"), folder.File("part-00042.parquet.sha256")); // intact, but foreign
        var e = Assert.Throws<CacheException>(() => Extract.Run(ValAnts, folder.Path));
        Assert.That(e!.Message, Does.Contain("part-00042.parquet").And.Contain("does not belong here"));
    }

    [Test]
    public void CancelledRunKeepsItsFinishedRowsAndARerunCompletesItExactly()
    {
        using var interrupted = new TempDirectory("features-cache-interrupted");
        using var straight = new TempDirectory("features-cache-straight");
        var options = new ExtractionOptions { BatchSize = 8, RowsPerPart = 16 };
        using var cancel = new CancellationTokenSource();
        var progress = new CancelAfterCommit(cancel, 2 * 16);
        Assert.That(() => Extract.Run(ValAnts, interrupted.Path, options, progress: progress, token: cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Directory.GetFiles(interrupted.Path, "*.tmp"), Is.Empty, "no temporary file is left");
        var partial = Extract.Read(interrupted.Path);
        Assert.That(partial.Count, Is.GreaterThanOrEqualTo(32).And.LessThan(70));
        Assert.That(progress.Last.Committed, Is.EqualTo(progress.Last.Done), "a cancelled run commits the rows it finished");
        Assert.That(partial.Count, Is.EqualTo(progress.Last.Embedded));

        var rerun = Extract.Run(ValAnts, interrupted.Path, options with { BatchSize = 3 });
        Assert.That((rerun.AlreadyCached, rerun.Embedded), Is.EqualTo((partial.Count, 70 - partial.Count)));
        Extract.Run(ValAnts, straight.Path, options);
        Extract.AssertSameEmbeddings(straight.Path, interrupted.Path);
    }

    [Test]
    public void FailedInputsCountAsDoneUnlessRetried()
    {
        using var inputs = new TempDirectory("features-retry-inputs");
        using var folder = new TempDirectory("features-cache");
        var bee = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", "bees")).Order(StringComparer.Ordinal).First();
        File.WriteAllText(inputs.File("inputs.csv"), $"path,label\n{bee},bee\nlater.jpg,bee\nbroken.jpg,bee\n");
        File.WriteAllText(inputs.File("broken.jpg"), "not an image");
        var first = Extract.Run(inputs.File("inputs.csv"), folder.Path);
        Assert.That((first.Embedded, first.Failed), Is.EqualTo((1, 2)));

        File.Copy(bee, inputs.File("later.jpg"));
        var again = Extract.Run(inputs.File("inputs.csv"), folder.Path);
        Assert.That((again.AlreadyCached, again.Embedded, again.Failed), Is.EqualTo((3, 0, 0)), "errors count as done by default");

        var retried = Extract.Run(inputs.File("inputs.csv"), folder.Path, new ExtractionOptions { RetryErrors = true });
        Assert.That((retried.Retried, retried.AlreadyCached, retried.Embedded, retried.Failed), Is.EqualTo((2, 1, 1, 1)));
        Assert.That(Extract.Read(folder.Path).Ids, Is.EquivalentTo(new[] { bee, "later.jpg" }));
        Assert.That(Extract.Errors(folder.Path).Select(e => e.Id), Is.EqualTo(new[] { "broken.jpg" }), "one error row per failed input, none stale");
    }

    [Test]
    public void LimitDefersTheRestToTheNextRun()
    {
        using var folder = new TempDirectory("features-cache");
        var first = Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 50 });
        Assert.That((first.Embedded, first.Deferred), Is.EqualTo((50, 20)));
        var second = Extract.Run(ValAnts, folder.Path, new ExtractionOptions { Limit = 50 });
        Assert.That((second.AlreadyCached, second.Embedded, second.Deferred), Is.EqualTo((50, 20, 0)));
        Assert.That(Extract.Read(folder.Path).Ids.Distinct().Count(), Is.EqualTo(70));
    }

    [Test]
    public void SummaryCountsRowsPerSplitAndLabelAndErrorsPerReason()
    {
        using var inputs = new TempDirectory("features-summary-inputs");
        using var folder = new TempDirectory("features-cache");
        foreach (var (split, label, count) in new[] { ("train", "ants", 3), ("train", "bees", 2), ("val", "ants", 1) })
        {
            Directory.CreateDirectory(inputs.File($"{split}/{label}"));
            var source = Path.Combine(SharedData.Hymenoptera, "train", label);
            foreach (var file in Directory.GetFiles(source, "*.jpg").Order(StringComparer.Ordinal).Take(count))
                File.Copy(file, inputs.File($"{split}/{label}/{Path.GetFileName(file)}"));
        }
        File.WriteAllText(inputs.File("val/ants/broken.jpg"), "not an image");
        File.WriteAllBytes(inputs.File("val/ants/empty.jpg"), []);
        Extract.Run(inputs.Path, folder.Path);

        using var cache = EmbeddingCache.Open(folder.Path);
        var summary = CacheSummary.Of(cache);
        Assert.That(summary.Rows, Is.EqualTo(6));
        Assert.That(summary.Dimension, Is.EqualTo(1280));
        Assert.That(summary.Groups, Is.EqualTo(new[] { new GroupCount("train", "ants", 3), new GroupCount("train", "bees", 2), new GroupCount("val", "ants", 1) }));
        Assert.That(summary.ErrorsByReason, Is.EquivalentTo(new[] { new ReasonCount("empty-file", 1), new ReasonCount("not-an-image", 1) }));
        Assert.That(summary.Errors.Select(e => (e.Id, e.Split, e.Label)), Is.EquivalentTo(new[] { ("val/ants/broken.jpg", "val", "ants"), ("val/ants/empty.jpg", (string?)"val", (string?)"ants") }));
        Assert.That((summary.Parts, summary.ErrorParts), Is.EqualTo((1, 1)));
        Assert.That(summary.Bytes, Is.GreaterThan(6 * 1280 * 4 / 2));
    }

    /// <summary>Cancels the run once enough rows are in completed parts.</summary>
    private sealed class CancelAfterCommit(CancellationTokenSource source, int rows) : IProgress<ExtractionProgress>
    {
        public ExtractionProgress Last { get; private set; }

        public void Report(ExtractionProgress value)
        {
            Last = value;
            if (value.Committed >= rows) source.Cancel();
        }
    }
}
