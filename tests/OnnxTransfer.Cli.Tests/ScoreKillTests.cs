using System.Diagnostics;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Acceptance, end to end with the built CLI: `score` killed with SIGKILL at random points five times, then rerun,
/// ends with exactly the files of an uninterrupted run (same rows, same values, no duplicates, byte for byte); SIGTERM
/// finishes the part in progress and exits 130; four shards written into one folder union to the unsharded run.
/// </summary>
[NonParallelizable]
public class ScoreKillTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;
    private static TempDirectory? _reference;

    /// <summary>The uninterrupted, unsharded run every other run is compared with.</summary>
    private static string Reference
    {
        get
        {
            if (_reference is not null) return _reference.Path;
            _reference = new TempDirectory("cli-score-reference");
            var (code, _, stderr) = ExtractCliRunner.Run(Arguments(_reference.Path));
            Assert.That(code, Is.Zero, stderr);
            return _reference.Path;
        }
    }

    [OneTimeTearDown]
    public void Remove() => _reference?.Dispose();

    private static string[] Arguments(string output, params string[] more) =>
        ["score", "--model", M.FusedPath, "--input", ScoreTestModels.ValFolder, "--out", output, "--rows-per-part", "8", "--batch", "8",
         "--decode-threads", "1", .. more];

    [Test]
    public void TheUninterruptedRunScoresEveryValImage()
    {
        var rows = ScoreTestModels.ReadRows(Reference);
        Assert.That(rows, Has.Count.EqualTo(153));
        Assert.That(File.Exists(Path.Combine(Reference, "_SUCCESS")));
        Assert.That(Directory.GetFiles(Reference, "part-*.parquet"), Has.Length.EqualTo(20), "153 rows in parts of 8");
        var correct = rows.Count(r => r.Value.Split('|') is var f && f[1] == f[5]);
        TestContext.Out.WriteLine($"fused model accuracy on val through `score`: {correct}/{rows.Count}");
        Assert.That(correct, Is.GreaterThan(130), "labels from the folders are kept as true_label and mostly predicted");
        Assert.That(rows.Values.All(r => r.EndsWith("||")), "no errors on the clean val split");
    }

    [Test]
    public void FiveKillsThenARerunGiveExactlyTheUninterruptedOutput()
    {
        using var killed = new TempDirectory("cli-score-killed");
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var killedMidRun = 0;
        var partsAfterKill = new List<int>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var partsBefore = Parts(killed.Path);
            using var process = ExtractCliRunner.Start(Arguments(killed.Path));
            var clock = Stopwatch.StartNew();
            // A random moment shortly after this attempt has committed a part: every kill lands mid-run, at a different
            // point, and five attempts stay well short of the 20 parts whatever the machine's speed (a longer delay let a
            // fast machine finish the set before the last attempts).
            while (!process.HasExited && Parts(killed.Path) == partsBefore && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Thread.Sleep(random.Next(0, 60));
            if (!process.HasExited)
            {
                process.Kill(); // SIGKILL: no handler runs
                killedMidRun++;
            }
            process.WaitForExit();
            partsAfterKill.Add(Parts(killed.Path));
        }
        TestContext.Out.WriteLine($"seed {seed}: {killedMidRun} of 5 runs killed mid-run; parts after each: {string.Join(", ", partsAfterKill)}; " +
                                  $"temporary files left: {Directory.GetFiles(killed.Path, ".*.tmp").Length}");
        Assert.That(killedMidRun, Is.GreaterThanOrEqualTo(3), "most attempts must really be interrupted");
        Assert.That(partsAfterKill, Is.Ordered, "committed parts are never lost");
        Assert.That(File.Exists(Path.Combine(killed.Path, "_SUCCESS")), Is.EqualTo(partsAfterKill[^1] == 20), "the marker exists only when every part does");

        var (code, _, stderr) = ExtractCliRunner.Run(Arguments(killed.Path));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(Directory.GetFiles(killed.Path, ".*.tmp"), Is.Empty, "the rerun removed what the kills left behind");
        Assert.That(ScoreTestModels.ReadRows(killed.Path), Is.EqualTo(ScoreTestModels.ReadRows(Reference)));
        Assert.That(ScoreTestModels.ReadFiles(killed.Path), Is.EqualTo(ScoreTestModels.ReadFiles(Reference)), "the same files, byte for byte");
    }

    [Test]
    public void SigtermFinishesThePartInProgressAndExits130()
    {
        using var stopped = new TempDirectory("cli-score-sigterm");
        using var process = ExtractCliRunner.Start(Arguments(stopped.Path));
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && Parts(stopped.Path) == 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
        Assert.That(process.HasExited, Is.False, "the run must still be going when the signal comes");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        Assert.That(process.WaitForExit(TimeSpan.FromSeconds(60)), Is.True);
        var log = stderr.GetAwaiter().GetResult();
        TestContext.Out.WriteLine(log);
        Assert.That(process.ExitCode, Is.EqualTo(130), log);
        Assert.That(Parts(stopped.Path), Is.InRange(1, 19));
        Assert.That(Directory.GetFiles(stopped.Path, ".*.tmp"), Is.Empty, "a clean stop leaves no temporary file");
        Assert.That(File.Exists(Path.Combine(stopped.Path, "_SUCCESS")), Is.False);
        Assert.That(log, Does.Contain("\"event\":\"interrupted\""), "stderr is not a terminal: JSON log lines");

        var (code, _, rerunLog) = ExtractCliRunner.Run(Arguments(stopped.Path));
        Assert.That(code, Is.Zero, rerunLog);
        Assert.That(ScoreTestModels.ReadFiles(stopped.Path), Is.EqualTo(ScoreTestModels.ReadFiles(Reference)));
    }

    [Test]
    public void FourShardsInOneFolderUnionToTheUnshardedRun()
    {
        using var sharded = new TempDirectory("cli-score-shards");
        // Four workers at once, as an Indexed Job or a Slurm array would start them, all writing into one folder.
        var workers = Enumerable.Range(0, 4).Select(k => ExtractCliRunner.Start(Arguments(sharded.Path, "--shard", $"{k}/4"))).ToList();
        var logs = workers.Select(w => (Out: w.StandardOutput.ReadToEndAsync(), Err: w.StandardError.ReadToEndAsync())).ToList();
        foreach (var (worker, k) in workers.Select((w, k) => (w, k)))
        {
            Assert.That(worker.WaitForExit(TimeSpan.FromMinutes(3)), Is.True);
            Assert.That(worker.ExitCode, Is.Zero, logs[k].Err.GetAwaiter().GetResult());
            Assert.That(File.Exists(Path.Combine(sharded.Path, $"_SUCCESS.shard-{k}-of-4")));
            worker.Dispose();
        }
        var perShard = Enumerable.Range(0, 4).Select(k => ScoreTestModels.ReadRows(sharded.Path, $"part-*.shard-{k}-of-4.parquet").Count).ToArray();
        TestContext.Out.WriteLine($"rows per shard: {string.Join(", ", perShard)}");
        Assert.That(perShard, Has.All.GreaterThan(20), "a stable hash spreads the ids");
        Assert.That(perShard.Sum(), Is.EqualTo(153));
        Assert.That(ScoreTestModels.ReadRows(sharded.Path), Is.EqualTo(ScoreTestModels.ReadRows(Reference)), "the union equals the unsharded rows, value for value");

        // A different shard count into the same folder is refused: it would duplicate rows.
        var (code, _, stderr) = ExtractCliRunner.Run(Arguments(sharded.Path, "--shard", "0/3"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("shard-").And.Contain("another --out"));
    }

    private static int Parts(string folder) => Directory.GetFiles(folder, "part-*.parquet").Length;
}
