using OnnxTransfer.Features.Cache;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Acceptance (issue 15, point 1): a real cache of the shared model over a hymenoptera subset, one byte of one part
/// changed at 50 random offsets in turn: every change is reported by <c>cache verify</c>, and nothing of the part is
/// used — the cache reader, <c>cache info</c>'s summary and the trainer's dataset all refuse it. Before checksums, 4 of
/// 5 such flips went unnoticed and `train` exited 0 on a changed embedding.
/// </summary>
[NonParallelizable]
public class CacheIntegrityTests
{
    private TempDirectory _folder = null!;
    private string _cache = null!;

    [OneTimeSetUp]
    public void ExtractASubset()
    {
        _folder = new TempDirectory("cli-integrity");
        var images = _folder.File("images");
        HymenopteraSubset.CopyTo(images, 6);
        _cache = _folder.File("cache");
        var run = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", _cache,
            "--rows-per-part", "8", "--quiet");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    [Test]
    public void EveryPartHasAChecksumFileThatSha256sumAccepts()
    {
        using var cache = EmbeddingCache.Open(_cache);
        Assert.That(cache.Manifest.PartChecksums, Is.True);
        Assert.That(cache.PartFiles(), Has.Count.EqualTo(3));
        foreach (var part in cache.PartFiles())
        {
            Assert.That(FileChecksum.Verify(part).Status, Is.EqualTo(FileChecksumStatus.Verified), part);
            var check = BashScript.Run($"sha256sum -c '{Path.GetFileName(part)}.sha256'", _cache);
            Assert.That(check.ExitCode, Is.Zero, check.Output);
        }
        var verify = ExtractCliRunner.Run("cache", "verify", _cache);
        Assert.That(verify.ExitCode, Is.Zero, verify.Stderr);
        Assert.That(verify.Stdout, Does.Contain("ok: 3 part(s), 24 row(s)"));
    }

    [Test]
    public void FiftyFlippedBytesAreEachReportedAndNoneIsUsed()
    {
        using var cache = EmbeddingCache.Open(_cache);
        var part = cache.PartFiles()[1];
        var original = File.ReadAllBytes(part);
        var seed = Environment.TickCount;
        var random = new Random(seed);
        TestContext.Out.WriteLine($"seed {seed}, part {Path.GetFileName(part)} of {original.Length} bytes");
        try
        {
            for (var flip = 0; flip < 50; flip++)
            {
                var offset = random.Next(original.Length);
                var mask = (byte)random.Next(1, 256);
                var damaged = (byte[])original.Clone();
                damaged[offset] ^= mask; // never zero: the content always changes
                File.WriteAllBytes(part, damaged);
                var where = $"flip {flip}: offset {offset} ^ 0x{mask:x2}";

                var verification = CacheVerification.Verify(cache);
                Assert.That(verification.Damaged.Select(d => d.File), Is.EqualTo(new[] { part }), where);
                Assert.That(verification.Damaged[0].Problem, Does.Contain(Path.GetFileName(part)).And.Contain("rerun the same extract command"), where);
                Assert.Throws<CacheException>(() => cache.ReadEmbeddings(), where);
                Assert.Throws<CacheException>(() => CacheSummary.Of(cache), where);
                Assert.Throws<CacheException>(() => cache.ReadCompletedIds(), where);
                Assert.That(() => EmbeddingDataset.Open(_cache).Load("train", null), Throws.InstanceOf<ParquetFormatException>(), where);

                if (flip < 2)
                {
                    // The commands themselves, end to end: each refuses with exit 2 naming the part.
                    var head = _folder.File($"head-{flip}.onnx");
                    foreach (var command in new[]
                             {
                                 new[] { "cache", "verify", _cache },
                                 new[] { "cache", "info", _cache },
                                 new[] { "train", "--cache", _cache, "--out", head },
                             })
                    {
                        var run = ExtractCliRunner.Run(command);
                        Assert.That(run.ExitCode, Is.EqualTo(2), $"{where}: {string.Join(' ', command)}\n{run.Stdout}\n{run.Stderr}");
                        Assert.That(run.Stderr, Does.Contain(Path.GetFileName(part)), $"{where}: {string.Join(' ', command)}");
                    }
                    Assert.That(File.Exists(head), Is.False, "no head is trained on a damaged cache");
                }
            }
        }
        finally
        {
            File.WriteAllBytes(part, original);
        }
        Assert.That(CacheVerification.Verify(cache).IsIntact, Is.True, "restored");
    }

    [Test]
    public void APartWithoutItsChecksumFileIsRefusedNotReadUnchecked()
    {
        using var copy = new TempDirectory("cli-integrity-missing");
        foreach (var file in Directory.GetFiles(_cache, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(_cache, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        using var cache = EmbeddingCache.Open(copy.Path);
        File.Delete(FileChecksum.SidecarOf(cache.PartFiles()[0]));
        var error = Assert.Throws<CacheException>(() => cache.ReadEmbeddings())!;
        Assert.That(error.Message, Does.Contain("has no checksum file"));
        Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(copy.Path));
    }
}
