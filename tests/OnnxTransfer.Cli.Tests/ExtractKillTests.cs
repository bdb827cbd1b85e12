using System.Diagnostics;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Acceptance: extraction killed with SIGKILL at random points, five times, then run to the end, gives exactly the rows
/// of an uninterrupted run — none missing, none duplicated, embeddings equal byte for byte.
/// </summary>
[NonParallelizable]
public class ExtractKillTests
{
    [Test]
    public void FiveKillsThenARerunGiveExactlyTheUninterruptedRows()
    {
        using var straight = new TempDirectory("cli-extract-straight");
        using var killed = new TempDirectory("cli-extract-killed");
        // Small parts and a single decode thread: many commit points, and a run long enough to be killed in the middle.
        string[] Arguments(string cache) =>
        [
            "extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera, "--cache", cache,
            "--rows-per-part", "16", "--batch", "8", "--decode-threads", "1", "--quiet",
        ];

        var uninterrupted = ExtractCliRunner.Run(Arguments(straight.Path));
        Assert.That(uninterrupted.ExitCode, Is.Zero, uninterrupted.Stderr);

        var seed = Environment.TickCount;
        var random = new Random(seed);
        var killedMidRun = 0;
        var rowsAfterKill = new List<int>();
        var leftTemporaryParts = 0;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // Kill at a random moment once this run has committed one or two new parts, so every kill lands mid-run with
            // work done, whatever the machine's speed (a fixed delay lets a fast machine finish the whole set before the
            // last kill, and startup time varies too much on a shared one). Five attempts of at most about three parts
            // each stay well short of the 25 parts of the whole set, so the rerun always has work left.
            var partsBefore = PartCount(killed.Path);
            var partsToWaitFor = random.Next(1, 3);
            using var process = ExtractCliRunner.Start(Arguments(killed.Path));
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && PartCount(killed.Path) < partsBefore + partsToWaitFor && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            // Then wait for the next part to be open, so the kill lands inside a part being written (the case the rerun
            // must clean up); where inside it is left to chance.
            while (!process.HasExited && TemporaryPartCount(killed.Path) == 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(2);
            if (!process.WaitForExit(TimeSpan.FromMilliseconds(random.Next(0, 30))))
            {
                process.Kill(); // SIGKILL on Unix: no handler runs, the part in progress is left as a temporary file
                process.WaitForExit();
                killedMidRun++;
            }
            rowsAfterKill.Add(RowCount(killed.Path));
            leftTemporaryParts += TemporaryPartCount(killed.Path);
        }
        TestContext.Out.WriteLine($"seed {seed}: {killedMidRun} of 5 runs killed mid-run; committed rows after each: {string.Join(", ", rowsAfterKill)}; " +
                                $"{leftTemporaryParts} half-written part(s) left behind by the kills");
        Assert.That(killedMidRun, Is.GreaterThanOrEqualTo(3), "most attempts must really be interrupted");
        Assert.That(rowsAfterKill, Is.Ordered, "committed rows are never lost");
        Assert.That(rowsAfterKill[^1], Is.LessThan(398), "the kills left work for the rerun");
        Assert.That(leftTemporaryParts, Is.GreaterThan(0), "some kill landed while a part was being written");

        var rerun = ExtractCliRunner.Run(Arguments(killed.Path));
        Assert.That(rerun.ExitCode, Is.Zero, rerun.Stderr);
        Assert.That(Directory.GetFiles(killed.Path, "*.tmp", SearchOption.AllDirectories), Is.Empty, "leftover temporary parts are cleaned up");

        var expected = Read(straight.Path);
        var actual = Read(killed.Path);
        Assert.That(expected.Count, Is.EqualTo(398));
        Assert.That(actual.Ids, Has.Length.EqualTo(398), "no row missing, none duplicated");
        Assert.That(actual.Ids, Is.Unique);
        var index = expected.IndexById();
        for (var i = 0; i < actual.Count; i++)
        {
            var j = index[actual.Ids[i]];
            Assert.That((actual.Sources[i], actual.Labels[i], actual.Splits[i]), Is.EqualTo((expected.Sources[j], expected.Labels[j], expected.Splits[j])));
            Assert.That(System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual.Row(i)).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.Row(j))),
                Is.True, $"embedding of {actual.Ids[i]} differs");
        }
    }

    private static int PartCount(string cacheFolder) =>
        Directory.Exists(cacheFolder) ? Directory.GetFiles(cacheFolder, "part-*.parquet").Length : 0;

    private static int TemporaryPartCount(string cacheFolder) =>
        Directory.Exists(cacheFolder) ? Directory.GetFiles(cacheFolder, ".part-*.tmp").Length : 0;

    private static int RowCount(string cacheFolder)
    {
        if (!EmbeddingCache.Exists(cacheFolder)) return 0;
        using var cache = EmbeddingCache.Open(cacheFolder);
        return CacheSummary.Of(cache).Rows;
    }

    private static CachedEmbeddings Read(string cacheFolder)
    {
        using var cache = EmbeddingCache.Open(cacheFolder);
        return cache.ReadEmbeddings();
    }
}
