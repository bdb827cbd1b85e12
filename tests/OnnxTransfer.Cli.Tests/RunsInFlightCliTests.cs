using System.Runtime.InteropServices;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 14 (several batches in flight), the CPU-testable part on the shared model and hymenoptera photos:
/// `--runs-in-flight 2` on extract and score writes exactly what one run at a time writes, the run log records the
/// count, and 0 is a usage error naming the fix before any work.
/// </summary>
public sealed class RunsInFlightCliTests
{
    [Test]
    public void ExtractWithTwoRunsInFlightWritesTheCacheOfOne()
    {
        using var temp = new TempDirectory("cli-runs-in-flight");
        var images = HymenopteraSubset.CopyTo(temp.File("images"), perLabel: 5); // 20 photos in batches of 2: 10 units

        var caches = new Dictionary<string, CachedEmbeddings>();
        foreach (var runs in new[] { "1", "2" })
        {
            var cache = temp.File($"cache-{runs}");
            var (code, stdout, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", cache,
                "--batch", "2", "--runs-in-flight", runs, "--json");
            Assert.That(code, Is.Zero, log);
            Assert.That(log, Does.Contain(runs == "1" ? "; 1 run in flight" : "; 2 runs in flight"));
            Assert.That(stdout, Does.Contain($"\"runs_in_flight\": {runs}"));
            using var opened = EmbeddingCache.Open(cache);
            caches[runs] = opened.ReadEmbeddings();
        }

        var (one, two) = (caches["1"], caches["2"]);
        Assert.That(two.Count, Is.EqualTo(20));
        Assert.That(two.Ids, Is.EqualTo(one.Ids), "same rows in the same order");
        for (var i = 0; i < two.Count; i++)
            Assert.That(MemoryMarshal.AsBytes(two.Row(i)).SequenceEqual(MemoryMarshal.AsBytes(one.Row(i))), Is.True, $"embedding of {two.Ids[i]}");
    }

    [Test]
    public void AutoIsOneRunInFlightOnCpu()
    {
        using var temp = new TempDirectory("cli-runs-in-flight-auto");
        var images = HymenopteraSubset.CopyTo(temp.File("images"), perLabel: 1);
        var (code, _, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", temp.File("cache"));
        Assert.That(code, Is.Zero, log);
        Assert.That(log, Does.Contain("; 1 run in flight"));
    }

    [Test]
    public void ScoreWithTwoRunsInFlightWritesTheRowsOfOne()
    {
        var model = ScoreTestModels.Instance.FusedPath;
        using var temp = new TempDirectory("cli-score-runs-in-flight");
        foreach (var runs in new[] { "1", "2" })
        {
            var (code, _, log) = ExtractCliRunner.Run("score", "--model", model, "--input", ScoreTestModels.ValFolder, "--out", temp.File($"out-{runs}"),
                "--batch", "8", "--rows-per-part", "40", "--runs-in-flight", runs);
            Assert.That(code, Is.Zero, log);
            Assert.That(log, Does.Contain($"\"runs_in_flight\":{runs}").Or.Contain(runs == "1" ? "(1 run in flight)" : "(2 runs in flight)"));
        }
        var one = ScoreTestModels.ReadRows(temp.File("out-1"));
        Assert.That(one, Has.Count.EqualTo(153));
        Assert.That(ScoreTestModels.ReadRows(temp.File("out-2")), Is.EqualTo(one));
    }

    [TestCase("extract", "0")]
    [TestCase("score", "-1")]
    public void ACountBelowOneIsAUsageErrorNamingTheFix(string command, string runs)
    {
        using var temp = new TempDirectory("cli-runs-in-flight-refused");
        string[] arguments = command == "extract"
            ? ["extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", ScoreTestModels.ValFolder, "--cache", temp.File("out"), "--runs-in-flight", runs]
            : ["score", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", temp.File("head.onnx"), "--input", ScoreTestModels.ValFolder, "--out", temp.File("out"), "--runs-in-flight", runs];
        var (code, _, log) = ExtractCliRunner.Run(arguments);
        Assert.That(code, Is.EqualTo(1), log);
        Assert.That(log, Does.Contain($"--runs-in-flight must be at least 1 or auto (got {runs})").And.Contain("auto runs 2 batches at once on cuda"));
        Assert.That(Directory.Exists(temp.File("out")), Is.False, "refused before any work");
    }
}
