using System.Security.Cryptography;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// <c>extract --views</c> on the shared hymenoptera images through the shared MobileNetV2: every input gets a row per
/// view with its view id; a view row is the backbone run on the mirrored preprocessed tensor; the original rows are
/// those of a cache without views; a rerun with more views (or after a stop) computes exactly the missing rows and
/// leaves the parts already written byte for byte; a cache without views refuses them.
/// </summary>
[NonParallelizable]
public class ViewExtractionTests
{
    private TempDirectory _folder = null!;
    private string _manifest = null!;
    private string _viewCache = null!;

    // Batches of 3 slots with 2 views per input: inputs straddle batches, so the decode-in-each-batch path runs too.
    private static readonly ExtractionOptions Options = new() { BatchSize = 3, RowsPerPart = 8, RowsPerRowGroup = 4 };

    [OneTimeSetUp]
    public void ExtractWithViews()
    {
        _folder = new TempDirectory("features-views");
        // 14 images of both splits and classes (the GIF too): small enough to extract several times.
        var files = Directory.EnumerateFiles(SharedData.Hymenoptera, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(SharedData.Hymenoptera, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Where((_, i) => i % 29 == 0 || _.EndsWith(".gif", StringComparison.Ordinal))
            .ToArray();
        _manifest = _folder.File("inputs.csv");
        File.WriteAllLines(_manifest, new[] { "path,label,split,id" }.Concat(files.Select(f =>
            $"{Path.Combine(SharedData.Hymenoptera, f)},{f.Split('/')[1]},{f.Split('/')[0]},{f}")));
        _viewCache = _folder.File("views");
        Run(_viewCache, [InputView.HorizontalFlip]);
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    private ExtractionSummary Run(string cache, IReadOnlyList<InputView> views, ExtractionOptions? options = null)
    {
        var backbone = TestBackbones.MobileNetV2;
        using var open = EmbeddingCache.OpenForWriting(cache, ExtractionPipeline.ManifestFor(backbone, views));
        return new ExtractionPipeline(backbone, options ?? Options).Run(InputSet.Open(_manifest), open);
    }

    private static CachedEmbeddings ReadEveryView(string cache)
    {
        using var open = EmbeddingCache.Open(cache);
        return open.ReadEmbeddingsOfEveryView();
    }

    /// <summary>Every row's embedding bytes by (id, view).</summary>
    private static Dictionary<(string, int), byte[]> BytesByView(CachedEmbeddings rows)
    {
        var result = new Dictionary<(string, int), byte[]>();
        for (var i = 0; i < rows.Count; i++)
            result.Add((rows.Ids[i], rows.Views![i]), System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.Row(i)).ToArray());
        return result;
    }

    private int InputCount => File.ReadAllLines(_manifest).Length - 1;

    [Test]
    public void EveryInputHasOneRowPerViewAndTheManifestNamesTheViews()
    {
        using var cache = EmbeddingCache.Open(_viewCache);
        Assert.That(cache.Manifest.Views, Is.EqualTo(new[] { new CacheView(0, "original"), new CacheView(1, "hflip") }));
        Assert.That(CacheView.Original, Is.EqualTo(InputView.Original.ToCacheView()), "Formats and Features name the original alike");
        var rows = cache.ReadEmbeddingsOfEveryView();
        Assert.That(rows.Count, Is.EqualTo(2 * InputCount));
        var pairs = rows.Ids.Zip(rows.Views!).ToArray();
        Assert.That(pairs, Is.Unique);
        Assert.That(pairs.GroupBy(p => p.First).Select(g => g.Select(p => p.Second).Order().ToArray()),
            Has.All.EqualTo(new[] { 0, 1 }), "each input: its original and its mirror");
        Assert.That(cache.ReadEmbeddings().Count, Is.EqualTo(InputCount), "readers that do not ask for views see one row per input");
        Assert.That(cache.ReadRows().Select(r => r.Id), Is.EqualTo(cache.ReadEmbeddings().Ids));

        var summary = CacheSummary.Of(cache);
        Assert.That(summary.RowsByView, Is.EqualTo(new[] { new ViewCount(0, "original", InputCount), new ViewCount(1, "hflip", InputCount) }));
        Assert.That(CacheVerification.Verify(cache).IsIntact, Is.True);
    }

    [Test]
    public void DuckDbReadsTheViewColumn()
    {
        var glob = DuckDb.Literal(Path.Combine(_viewCache, "*.parquet"));
        var counts = DuckDb.Query($"SELECT view, count(*) AS n, count(DISTINCT id) AS ids FROM read_parquet({glob}) GROUP BY view ORDER BY view");
        Assert.That(counts.Select(r => (DuckDb.Long(r!["view"]), DuckDb.Long(r["n"]), DuckDb.Long(r["ids"]))),
            Is.EqualTo(new[] { (0L, (long)InputCount, (long)InputCount), (1L, (long)InputCount, (long)InputCount) }));
    }

    [Test]
    public void AViewRowIsTheBackboneRunOnTheMirroredTensor()
    {
        var backbone = TestBackbones.MobileNetV2;
        var rows = ReadEveryView(_viewCache);
        var items = InputSet.Open(_manifest).Items;
        using var batch = backbone.CreateBatch(2);
        var embeddings = new float[2 * backbone.Dimension];
        var (height, width) = (224, 224);
        foreach (var item in items.Take(5))
        {
            Assert.That(backbone.Prepare(item, batch, 0), Is.Null, item.Id);
            // The mirror written here index by index (not through InputView): [c, y, x] ← [c, y, width − 1 − x].
            var original = batch.ImageSlot(0);
            var mirrored = batch.ImageSlot(1);
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < height; y++)
                    for (var x = 0; x < width; x++)
                        mirrored[(c * height + y) * width + x] = original[(c * height + y) * width + (width - 1 - x)];
            backbone.Embed(batch, 2, embeddings);
            for (var view = 0; view < 2; view++)
            {
                var row = Enumerable.Range(0, rows.Count).Single(i => rows.Ids[i] == item.Id && rows.Views![i] == view);
                Assert.That(rows.Row(row).ToArray(), Is.EqualTo(embeddings.AsSpan(view * backbone.Dimension, backbone.Dimension).ToArray()).Within(1e-5f),
                    $"{item.Id} view {view}");
            }
            // The mirror is another view of the picture, not a copy: its features differ, but it is the same picture.
            var cosine = TestBackbones.Cosine(embeddings.AsSpan(0, backbone.Dimension), embeddings.AsSpan(backbone.Dimension, backbone.Dimension));
            Assert.That(cosine, Is.InRange(0.5f, 0.9999f), item.Id);
        }
    }

    [Test]
    public void TheOriginalRowsAreThoseOfACacheWithoutViews()
    {
        using var plain = new TempDirectory("features-views-plain");
        using (var cache = EmbeddingCache.OpenForWriting(plain.Path, ExtractionPipeline.ManifestFor(TestBackbones.MobileNetV2)))
            new ExtractionPipeline(TestBackbones.MobileNetV2, Options with { BatchSize = 4 }).Run(InputSet.Open(_manifest), cache);
        var withViews = BytesByView(ReadEveryView(_viewCache));
        var without = Extract.BytesById(Extract.Read(plain.Path));
        Assert.That(without.Keys, Is.EquivalentTo(withViews.Keys.Where(k => k.Item2 == 0).Select(k => k.Item1)));
        foreach (var (id, bytes) in without) Assert.That(withViews[(id, 0)], Is.EqualTo(bytes), id);
    }

    [Test]
    public void ARerunWithMoreViewsComputesOnlyTheMissingRowsAndLeavesThePartsAsTheyAre()
    {
        using var folder = new TempDirectory("features-views-grow");
        var first = Run(folder.Path, [InputView.Original]);
        Assert.That((first.Embedded, first.EmbeddedRows), Is.EqualTo((InputCount, InputCount)));
        var before = PartHashes(folder.Path);

        var second = Run(folder.Path, [InputView.HorizontalFlip]);
        Assert.That((second.AlreadyCached, second.Embedded, second.EmbeddedRows), Is.EqualTo((0, InputCount, InputCount)), "one hflip row per input, nothing else");
        Assert.That(second.Views, Is.EqualTo(new[] { "original", "hflip" }));
        var after = PartHashes(folder.Path);
        foreach (var (part, hash) in before) Assert.That(after[part], Is.EqualTo(hash), $"{part} is left byte for byte");
        using (var cache = EmbeddingCache.Open(folder.Path))
        {
            Assert.That(cache.Manifest.Views!.Select(v => v.Name), Is.EqualTo(new[] { "original", "hflip" }));
            foreach (var part in after.Keys.Except(before.Keys))
                Assert.That(ReadViewIds(cache, part), Has.All.EqualTo(1), $"{part} holds the added view only");
        }
        Assert.That(BytesByView(ReadEveryView(folder.Path)), Is.EqualTo(BytesByView(ReadEveryView(_viewCache))), "as one run with both views");

        var third = Run(folder.Path, []);
        Assert.That((third.AlreadyCached, third.EmbeddedRows, third.PartsWritten), Is.EqualTo((InputCount, 0, 0)), "a run naming no views continues under the cache's");
    }

    [Test]
    public void AStoppedRunWithViewsIsFinishedByTheNextOne()
    {
        using var folder = new TempDirectory("features-views-resume");
        var first = Run(folder.Path, [InputView.HorizontalFlip], Options with { Limit = 5 });
        Assert.That((first.Embedded, first.EmbeddedRows, first.Deferred), Is.EqualTo((5, 10, InputCount - 5)));
        var second = Run(folder.Path, [InputView.HorizontalFlip]);
        Assert.That((second.AlreadyCached, second.Embedded, second.EmbeddedRows), Is.EqualTo((5, InputCount - 5, 2 * (InputCount - 5))));
        Assert.That(BytesByView(ReadEveryView(folder.Path)), Is.EqualTo(BytesByView(ReadEveryView(_viewCache))));
    }

    [Test]
    public void ACacheWithoutViewsRefusesThemAndStaysAsItWas()
    {
        using var folder = new TempDirectory("features-views-refused");
        Run(folder.Path, []);
        var manifest = File.ReadAllText(Path.Combine(folder.Path, CacheLayout.ManifestFile));
        var parts = PartHashes(folder.Path);
        var refused = Assert.Throws<CacheException>(() => Run(folder.Path, [InputView.HorizontalFlip]))!;
        Assert.That(refused.Message, Does.Contain("without views").And.Contain("new cache folder"));
        Assert.That(File.ReadAllText(Path.Combine(folder.Path, CacheLayout.ManifestFile)), Is.EqualTo(manifest));
        Assert.That(PartHashes(folder.Path), Is.EqualTo(parts));
    }

    [Test]
    public void CacheRepairRebuildsTheViewsFromThePartsViewColumn()
    {
        using var folder = new TempDirectory("features-views-repair");
        Run(folder.Path, [InputView.HorizontalFlip]);
        File.Delete(Path.Combine(folder.Path, CacheLayout.ManifestFile));
        var repaired = CacheRepair.Run(folder.Path);
        Assert.That(repaired.Manifest.Views, Is.EqualTo(new[] { new CacheView(0, "original"), new CacheView(1, "hflip") }));
        Assert.That(repaired.Sources["views"], Is.EqualTo("the parts' view column"));
    }

    [Test]
    public void TheMirrorOfAChannelsLastTensorIsTheSamePictureMirrored()
    {
        var backbone = TestBackbones.MobileNetV2;
        using var batch = backbone.CreateBatch(1);
        Assert.That(backbone.Prepare(InputSet.Open(_manifest).Items[0], batch, 0), Is.Null);
        var chw = batch.ImageSlot(0).ToArray();
        const int channels = 3, height = 224, width = 224;
        float[] ToHwc(float[] t)
        {
            var hwc = new float[t.Length];
            for (var c = 0; c < channels; c++)
                for (var p = 0; p < height * width; p++) hwc[p * channels + c] = t[c * height * width + p];
            return hwc;
        }
        var mirroredChw = new float[chw.Length];
        InputView.HorizontalFlip.Apply(chw, mirroredChw, channels, height, width);
        var mirroredHwc = new float[chw.Length];
        InputView.HorizontalFlip.ApplyChannelsLast(ToHwc(chw), mirroredHwc, height, width, channels);
        Assert.That(mirroredHwc, Is.EqualTo(ToHwc(mirroredChw)), "NHWC and NCHW mirror the same picture");
        var copy = new float[chw.Length];
        InputView.Original.ApplyChannelsLast(chw, copy, height, width, channels);
        Assert.That(copy, Is.EqualTo(chw));
    }

    private static Dictionary<string, string> PartHashes(string cache) =>
        Directory.EnumerateFiles(cache, "part-*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(cache, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static int[] ReadViewIds(EmbeddingCache cache, string relative)
    {
        if (!relative.EndsWith(".parquet", StringComparison.Ordinal) || relative.StartsWith(CacheLayout.ErrorsFolder, StringComparison.Ordinal)) return [];
        using var reader = cache.OpenPart(Path.Combine(cache.Directory, relative));
        return Enumerable.Range(0, reader.RowGroupCount).SelectMany(g => reader.OpenRowGroup(g).ReadValues<int>(CacheLayout.ViewColumn)).ToArray();
    }
}
