using System.Diagnostics;
using System.Runtime.InteropServices;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Formats;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15, points 2, 4 and 6 on the real shared model and hymenoptera: `extract --shard K/N` workers fill one cache
/// whose union equals the unsharded run (same rows, identical embedding bytes), also after a kill -9 mid-shard; the
/// cache says whether its extraction finished and train warns (or with --require-complete refuses) when it did not;
/// runs of different layouts started together on one folder: exactly one wins.
/// </summary>
[NonParallelizable]
public class ShardedExtractionTests
{
    private static string[] Extract(string images, string cache, params string[] more) =>
    [
        "extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", cache, "--quiet", .. more,
    ];

    [Test]
    public void FourShardsEqualTheUnshardedRunEvenAfterAKillMidShard()
    {
        using var folder = new TempDirectory("cli-shards");
        var whole = folder.File("whole");
        var sharded = folder.File("sharded");
        var straight = ExtractCliRunner.Run(Extract(SharedData.Hymenoptera, whole));
        Assert.That(straight.ExitCode, Is.Zero, straight.Stderr);

        // Shard 1 is killed with SIGKILL once it has committed a part (of 13), then rerun.
        using (var victim = ExtractCliRunner.Start(Extract(SharedData.Hymenoptera, sharded, "--shard", "1/4", "--rows-per-part", "8", "--batch", "4", "--decode-threads", "1")))
        {
            var clock = Stopwatch.StartNew();
            while (!victim.HasExited && (!Directory.Exists(sharded) || Directory.GetFiles(sharded, "part-*.shard-1-of-4.parquet").Length < 1) && clock.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(5);
            Assert.That(victim.HasExited, Is.False, () => $"the shard was still running when killed (exit {victim.ExitCode}: {victim.StandardError.ReadToEnd()})");
            victim.Kill();
            victim.WaitForExit();
        }
        using (var cache = EmbeddingCache.Open(sharded))
            Assert.That(CacheCompletion.Read(cache).IsComplete, Is.False, "a killed shard leaves the cache incomplete");

        // Shards 0, 2 and 3 and the rerun of shard 1, all at once on one folder.
        var runs = new[] { 0, 1, 2, 3 }.Select(k => ExtractCliRunner.Start(Extract(SharedData.Hymenoptera, sharded, "--shard", $"{k}/4", "--decode-threads", "1"))).ToArray();
        foreach (var run in runs)
        {
            var stderr = run.StandardError.ReadToEndAsync();
            run.StandardOutput.ReadToEnd();
            run.WaitForExit();
            Assert.That(run.ExitCode, Is.Zero, stderr.Result);
            run.Dispose();
        }

        Assert.That(Directory.GetFiles(sharded, "*.tmp", SearchOption.AllDirectories), Is.Empty);
        Assert.That(Directory.GetFiles(sharded, "part-*.parquet").Select(Path.GetFileName), Has.All.Match(@"^part-\d{5}\.shard-[0-3]-of-4\.parquet$"));
        using (var cache = EmbeddingCache.Open(sharded))
        {
            var completion = CacheCompletion.Read(cache);
            Assert.That(completion.IsComplete, Is.True, completion.Explanation);
            Assert.That(CacheVerification.Verify(cache).IsIntact, Is.True);
        }
        ShardedCacheAssert.SameRows(whole, sharded);
    }

    [Test]
    public void AnInterruptedExtractionIsReportedAndRequireCompleteRefusesIt()
    {
        using var folder = new TempDirectory("cli-incomplete");
        var cache = folder.File("cache");
        var partial = ExtractCliRunner.Run(Extract(SharedData.Hymenoptera, cache, "--limit", "200"));
        Assert.That(partial.ExitCode, Is.Zero, partial.Stderr);
        Assert.That(File.Exists(Path.Combine(cache, "_INCOMPLETE")), Is.True);
        Assert.That(File.Exists(Path.Combine(cache, "_SUCCESS")), Is.False);

        var head = folder.File("head.onnx");
        var warned = ExtractCliRunner.Run("train", "--cache", cache, "--out", head);
        Assert.That(warned.ExitCode, Is.Zero, warned.Stderr);
        Assert.That(warned.Stderr, Does.Contain("INCOMPLETE").And.Contain("398 inputs").And.Contain("200 embedded row(s)"), warned.Stderr);

        var refused = ExtractCliRunner.Run("evaluate", "--cache", cache, "--head", head, "--require-complete");
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.Stderr);
        Assert.That(refused.Stderr, Does.Contain("--require-complete refuses an incomplete cache"));

        var finish = ExtractCliRunner.Run(Extract(SharedData.Hymenoptera, cache));
        Assert.That(finish.ExitCode, Is.Zero, finish.Stderr);
        Assert.That(File.Exists(Path.Combine(cache, "_SUCCESS")), Is.True);
        Assert.That(File.Exists(Path.Combine(cache, "_INCOMPLETE")), Is.False);
        var quiet = ExtractCliRunner.Run("evaluate", "--cache", cache, "--head", head, "--require-complete");
        Assert.That(quiet.ExitCode, Is.Zero, quiet.Stderr);
        Assert.That(quiet.Stderr, Does.Not.Contain("INCOMPLETE"), quiet.Stderr);
    }

    [Test]
    public void DifferentLayoutsStartedTogetherOnOneFolderLetExactlyOneWin()
    {
        using var folder = new TempDirectory("cli-layout-race");
        var cache = folder.File("cache");
        var images = Path.Combine(SharedData.Hymenoptera, "val");
        var runs = new[] { new[] { "--shard", "0/4" }, new[] { "--shard", "0/3" }, Array.Empty<string>() }
            .Select(extra => ExtractCliRunner.Start(Extract(images, cache, [.. extra, "--decode-threads", "1"])))
            .ToArray();
        var results = runs.Select(run =>
        {
            var stderr = run.StandardError.ReadToEndAsync();
            run.StandardOutput.ReadToEnd();
            run.WaitForExit();
            var result = (run.ExitCode, Stderr: stderr.Result);
            run.Dispose();
            return result;
        }).ToArray();
        TestContext.Out.WriteLine(string.Join("\n", results.Select(r => $"{r.ExitCode}: {r.Stderr.Trim()}")));
        Assert.That(results.Count(r => r.ExitCode == 0), Is.EqualTo(1), "exactly one layout wins");
        Assert.That(results.Where(r => r.ExitCode != 0).Select(r => r.ExitCode), Is.All.EqualTo(2));
        Assert.That(results.Where(r => r.ExitCode != 0).Select(r => r.Stderr), Is.All.Contain("Cannot extract into").Or.Contain("Shards of another count"));
        var layouts = Directory.GetFiles(cache, "part-*.parquet").Select(f => CacheLayout.ParsePartName(Path.GetFileName(f))!.Value.Shard).Distinct().ToArray();
        Assert.That(layouts, Has.Length.EqualTo(1), "the parts come from one layout only");
    }
}
