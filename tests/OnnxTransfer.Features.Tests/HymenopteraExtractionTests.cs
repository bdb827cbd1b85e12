using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Formats;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Acceptance: the hymenoptera set (398 images, one GIF) through the shared MobileNetV2 gives 398 embeddings of
/// dimension 1280 with split and label from the folders, and DuckDB reads the cache with the expected counts.
/// Also: the same input gives byte-identical parts whatever the batch size and thread count, and a rerun continues.
/// </summary>
[NonParallelizable]
public class HymenopteraExtractionTests
{
    private TempDirectory _cache = null!;
    private ExtractionSummary _summary = null!;
    private readonly List<ExtractionProgress> _progress = [];

    [OneTimeSetUp]
    public void ExtractOnce()
    {
        _cache = new TempDirectory("features-hymenoptera");
        var progress = new SynchronousProgress<ExtractionProgress>(_progress.Add);
        _summary = Extract.Run(SharedData.Hymenoptera, _cache.Path, new ExtractionOptions { BatchSize = 32, RowsPerPart = 150, RowsPerRowGroup = 64 },
            progress: progress);
        TestContext.Out.WriteLine(_summary);
    }

    [OneTimeTearDown]
    public void Remove() => _cache.Dispose();

    [Test]
    public void Embeds398ImagesOfDimension1280()
    {
        Assert.That(_summary.Inputs, Is.EqualTo(398));
        Assert.That(_summary.Embedded, Is.EqualTo(398), string.Join("; ", Extract.Errors(_cache.Path).Select(e => $"{e.Id}: {e.Message}")));
        Assert.That(_summary.Failed, Is.Zero);
        var rows = Extract.Read(_cache.Path);
        Assert.That(rows.Count, Is.EqualTo(398));
        Assert.That(rows.Dimension, Is.EqualTo(1280));
        Assert.That(rows.Ids, Is.Unique);
        Assert.That(rows.Ids, Has.Some.EndsWith(".gif"), "the one GIF is embedded like the JPEGs");
        Assert.That(rows.Ids, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "rows are written in id order");
        for (var i = 0; i < rows.Count; i++)
        {
            var parts = rows.Ids[i].Split('/');
            Assert.That((rows.Splits[i], rows.Labels[i]), Is.EqualTo((parts[0], parts[1])), rows.Ids[i]);
            Assert.That(rows.Sources[i], Is.EqualTo(Path.Combine(SharedData.Hymenoptera, rows.Ids[i])));
        }
    }

    [Test]
    public void WritesPartsOfTheConfiguredSizeAndReportsProgress()
    {
        using var cache = EmbeddingCache.Open(_cache.Path);
        Assert.That(cache.PartFiles().Select(Path.GetFileName), Is.EqualTo(new[] { "part-00000.parquet", "part-00001.parquet", "part-00002.parquet" }));
        Assert.That(_summary.PartsWritten, Is.EqualTo(3));
        Assert.That(_progress, Is.Not.Empty);
        Assert.That(_progress[^1].Done, Is.EqualTo(398));
        Assert.That(_progress[^1].Committed, Is.EqualTo(398));
        Assert.That(_progress.Select(p => p.Done), Is.Ordered);
    }

    [Test]
    public void DuckDbReadsTheCacheWithTheExpectedCountsPerSplitAndLabel()
    {
        var glob = DuckDb.Literal(Path.Combine(_cache.Path, "*.parquet"));
        var counts = DuckDb.Query($"SELECT split, label, count(*) AS n FROM read_parquet({glob}) GROUP BY ALL ORDER BY ALL");
        var actual = counts.Select(r => (r!["split"]!.GetValue<string>(), r["label"]!.GetValue<string>(), DuckDb.Long(r["n"]))).ToArray();
        Assert.That(actual, Is.EqualTo(new[] { ("train", "ants", 124L), ("train", "bees", 121L), ("val", "ants", 70L), ("val", "bees", 83L) }));

        var shape = DuckDb.Query($"SELECT count(DISTINCT id) AS ids, min(len(embedding)) AS lo, max(len(embedding)) AS hi FROM read_parquet({glob})")[0]!;
        Assert.That((DuckDb.Long(shape["ids"]), DuckDb.Long(shape["lo"]), DuckDb.Long(shape["hi"])), Is.EqualTo((398L, 1280L, 1280L)));

        // DuckDB's floats are ours, bit for bit, and the metadata carries the fingerprint.
        var rows = Extract.Read(_cache.Path);
        var index = rows.IndexById();
        var sample = DuckDb.Query($"SELECT id, embedding FROM read_parquet({glob}) ORDER BY id LIMIT 3 OFFSET 200");
        foreach (var row in sample)
        {
            var values = row!["embedding"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
            Assert.That(values, Is.EqualTo(rows.Row(index[row["id"]!.GetValue<string>()]).ToArray()));
        }
        var metadata = DuckDb.Query(
            $"SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata({DuckDb.Literal(Path.Combine(_cache.Path, "part-00000.parquet"))})");
        var kv = metadata.ToDictionary(r => r!["k"]!.GetValue<string>(), r => r!["v"]!.GetValue<string>());
        using var cache = EmbeddingCache.Open(_cache.Path);
        Assert.That(kv[MetadataKeys.FingerprintSha256], Is.EqualTo(cache.Fingerprint.Sha256));
        Assert.That(kv[MetadataKeys.Dimension], Is.EqualTo("1280"));
        Assert.That(kv[MetadataKeys.Format], Is.EqualTo("embedding-cache/1"));
    }

    [Test]
    public void SameInputGivesByteIdenticalPartsWhateverTheBatchSizeAndThreads()
    {
        using var other = new TempDirectory("features-hymenoptera-again");
        var summary = Extract.Run(SharedData.Hymenoptera, other.Path,
            new ExtractionOptions { BatchSize = 7, DecodeThreads = 1, RowsPerPart = 150, RowsPerRowGroup = 64 });
        Assert.That(summary.Embedded, Is.EqualTo(398));
        var names = Directory.GetFiles(_cache.Path, "*.parquet").Select(Path.GetFileName).Order().ToArray();
        Assert.That(Directory.GetFiles(other.Path, "*.parquet").Select(Path.GetFileName).Order(), Is.EqualTo(names));
        foreach (var name in names)
            Assert.That(File.ReadAllBytes(Path.Combine(other.Path, name!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(_cache.Path, name!))), name);
    }

    [Test]
    public void TwoRunsInFlightWriteTheSameBytesAsOne()
    {
        // Issue 14: batches of 8 (50 units) with two model runs at once on the one session give the parts of the
        // fixture's run with one run in flight (auto on CPU), byte for byte: same rows, same order, same embeddings.
        using var other = new TempDirectory("features-hymenoptera-runs-in-flight");
        var summary = Extract.Run(SharedData.Hymenoptera, other.Path,
            new ExtractionOptions { BatchSize = 8, RunsInFlight = 2, DecodeThreads = 2, RowsPerPart = 150, RowsPerRowGroup = 64 });
        Assert.That((_summary.RunsInFlight, summary.RunsInFlight), Is.EqualTo((1, 2)), "auto is 1 on CPU; 2 when asked");
        Assert.That(summary.Embedded, Is.EqualTo(398));
        var names = Directory.GetFiles(_cache.Path, "*.parquet").Select(Path.GetFileName).Order().ToArray();
        Assert.That(Directory.GetFiles(other.Path, "*.parquet").Select(Path.GetFileName).Order(), Is.EqualTo(names));
        foreach (var name in names)
            Assert.That(File.ReadAllBytes(Path.Combine(other.Path, name!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(_cache.Path, name!))), name);
    }

    [Test]
    public void RerunAddsNothingAndDeletedPartIsRestoredIdentically()
    {
        using var copy = new TempDirectory("features-hymenoptera-resume");
        foreach (var file in Directory.GetFiles(_cache.Path)) File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        var original = Extract.BytesById(Extract.Read(copy.Path));

        var again = Extract.Run(SharedData.Hymenoptera, copy.Path);
        Assert.That((again.AlreadyCached, again.Embedded, again.Failed, again.PartsWritten), Is.EqualTo((398, 0, 0, 0)));

        File.Delete(Path.Combine(copy.Path, "part-00001.parquet"));
        var resumed = Extract.Run(SharedData.Hymenoptera, copy.Path, new ExtractionOptions { BatchSize = 5 });
        Assert.That((resumed.AlreadyCached, resumed.Embedded), Is.EqualTo((248, 150)));
        var after = Extract.BytesById(Extract.Read(copy.Path));
        Assert.That(after.Keys, Is.EquivalentTo(original.Keys));
        foreach (var (id, bytes) in original) Assert.That(after[id], Is.EqualTo(bytes), id);
        using var cache = EmbeddingCache.Open(copy.Path);
        Assert.That(cache.PartFiles().Select(Path.GetFileName), Does.Contain("part-00003.parquet"), "new rows go to a new part");
    }

    /// <summary>IProgress that runs the callback on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value)
        {
            lock (this) report(value);
        }
    }
}
