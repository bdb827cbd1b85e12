using System.Runtime.InteropServices;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 14 (steady GPU batches), the CPU-testable part on the shared model and hymenoptera photos: `extract
/// --fixed-batch on` pads the short last batch and writes exactly the cache of `--fixed-batch off` (same ids, same
/// embedding bytes, no padding row); `--io-binding on` (batches bound to the session once) writes that cache again;
/// `--cudnn-search` with the CPU device is a usage error naming the fix, and so is `--prefer-nhwc on` for extract and score.
/// </summary>
public sealed class FixedBatchCliTests
{
    [Test]
    public void PaddedExtractionWritesTheSameCacheAsShortBatches()
    {
        using var temp = new TempDirectory("cli-fixed-batch");
        var images = temp.File("images");
        Directory.CreateDirectory(Path.Combine(images, "ants"));
        // 7 photos in batches of 4: the second batch has 3 real rows and one padding row.
        foreach (var file in Directory.EnumerateFiles(Path.Combine(SharedData.Hymenoptera, "val", "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(7))
            File.CreateSymbolicLink(Path.Combine(images, "ants", Path.GetFileName(file)), file);

        var caches = new Dictionary<string, CachedEmbeddings>();
        foreach (var (mode, binding) in new[] { ("off", "off"), ("on", "off"), ("on", "on"), ("off", "on") })
        {
            var cache = temp.File($"cache-{mode}-{binding}");
            var (code, _, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", cache,
                "--batch", "4", "--fixed-batch", mode, "--io-binding", binding);
            Assert.That(code, Is.Zero, log);
            Assert.That(log, Does.Contain(mode == "on" ? "batches    fixed shape" : "batches    a short last batch runs short"));
            Assert.That(log.Contains("; io binding"), Is.EqualTo(binding == "on"), log);
            using var opened = EmbeddingCache.Open(cache);
            caches[$"{mode}-{binding}"] = opened.ReadEmbeddings();
        }

        var off = caches["off-off"];
        foreach (var (name, other) in caches)
        {
            Assert.That(other.Count, Is.EqualTo(7), $"{name}: no padding row reaches the cache");
            Assert.That(other.Ids, Is.EqualTo(off.Ids), name);
            for (var i = 0; i < other.Count; i++)
                Assert.That(MemoryMarshal.AsBytes(other.Row(i)).SequenceEqual(MemoryMarshal.AsBytes(off.Row(i))), Is.True, $"{name}: embedding of {other.Ids[i]}");
        }
    }

    [Test]
    public void CudnnSearchOnCpuIsAUsageError()
    {
        using var temp = new TempDirectory("cli-cudnn-search");
        var (code, _, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec,
            "--images", Path.Combine(SharedData.Hymenoptera, "val"), "--cache", temp.File("cache"), "--cudnn-search", "heuristic");
        Assert.That(code, Is.EqualTo(1), log);
        Assert.That(log, Does.Contain("applies to CUDA only").And.Contain("--device cuda"));
        Assert.That(Directory.Exists(temp.File("cache")), Is.False, "refused before any work");
    }

    [Test]
    public void ChannelsLastOnCpuIsAUsageErrorForExtractAndScore()
    {
        using var temp = new TempDirectory("cli-prefer-nhwc");
        var images = Path.Combine(SharedData.Hymenoptera, "val");
        var (code, _, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec,
            "--images", images, "--cache", temp.File("cache"), "--prefer-nhwc", "on");
        Assert.That(code, Is.EqualTo(1), log);
        Assert.That(log, Does.Contain("--prefer-nhwc").And.Contain("--device cuda"));
        Assert.That(Directory.Exists(temp.File("cache")), Is.False, "refused before any work");

        (code, _, log) = ExtractCliRunner.Run("score", "--model", ScoreTestModels.Instance.FusedPath, "--input", images,
            "--out", temp.File("scores"), "--prefer-nhwc", "on");
        Assert.That(code, Is.EqualTo(1), log);
        Assert.That(log, Does.Contain("--prefer-nhwc").And.Contain("--device cuda"));
        Assert.That(Directory.Exists(temp.File("scores")), Is.False, "refused before any work");

        (code, _, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec,
            "--images", images, "--cache", temp.File("cache"), "--prefer-nhwc", "sideways");
        Assert.That(code, Is.Not.Zero, log);
        Assert.That(log, Does.Contain("sideways"));
    }
}
