using System.Diagnostics;
using System.Text.RegularExpressions;
using OnnxTransfer.Cli.Tests;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.EndToEnd.Tests;

/// <summary>
/// Issue 15, point 8: deploy/slurm's scripts on the real engine. A one-node cluster of the test's own (munged,
/// slurmctld, slurmd from Debian's slurm-wlm, tools/setup.sh --slurm) runs extract-array.sh and score-array.sh as
/// 4-task arrays over hymenoptera: their unions equal the unsharded runs. One task with a two-minute limit gets
/// Slurm's time-limit warning (--signal=B:TERM@60) mid-run: the batch shell forwards it, onnxtransfer commits and
/// exits 130, the script requeues the task and Slurm starts it again. The daemons are stopped at the end.
/// </summary>
[Order(3)] // see DemoScriptTests
[NonParallelizable]
public class SlurmDeployTests
{
    private static string Deploy => Path.Combine(RepositoryPaths.Root, "deploy", "slurm");

    [Test]
    public void ArrayScriptsRunOnARealOneNodeClusterAndARequeuedTaskContinues()
    {
        Assert.That(File.Exists("/usr/sbin/slurmctld") && File.Exists("/usr/sbin/munged"), Is.True,
            "Debian's slurm-wlm and munge are missing: run tools/setup.sh --slurm (tools/test.sh does)");
        using var folder = new TempDirectory("cli-slurm");
        var cluster = folder.File("cluster");
        var start = BashScript.Run($"'{Deploy}/test/one-node-cluster.sh' start '{cluster}'", folder.Path);
        Assert.That(start.ExitCode, Is.Zero, start.Output);
        var clock = Stopwatch.StartNew();
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf"),
                ["SHARDS"] = "4",
                ["ONNXTRANSFER"] = $"dotnet {ExtractCliRunner.CliDll}",
                ["ONNXTRANSFER_DEPLOY"] = Deploy,
                ["EXTRACT_SPEC"] = ExtractCliRunner.MobileNetV2Spec,
                ["EXTRACT_IMAGES"] = SharedData.Hymenoptera,
                ["EXTRACT_CACHE"] = folder.File("cache"),
                ["SCORE_MODEL"] = ScoreTestModels.Instance.FusedPath,
                ["SCORE_INPUT"] = ScoreTestModels.ValFolder,
                ["SCORE_OUT"] = folder.File("scores"),
                ["ROWS_PER_PART"] = "16",
            };
            string Sbatch(string arguments)
            {
                var run = BashScript.Run($"sbatch --parsable --cpus-per-task=1 --mem=1G {arguments}", folder.Path, environment);
                Assert.That(run.ExitCode, Is.Zero, $"sbatch {arguments}\n{run.Output}");
                return run.Stdout.Trim();
            }
            // Both arrays at once (the node runs 4 tasks side by side); squeue polled each second (sbatch --wait polls slowly).
            var jobs = $"{Sbatch($"--array=0-3 --output='{folder.Path}/extract-%a.log' '{Deploy}/extract-array.sh'")}," +
                       Sbatch($"--array=0-3 --output='{folder.Path}/score-%a.log' '{Deploy}/score-array.sh'");
            var waited = Stopwatch.StartNew();
            while (BashScript.Run($"squeue -h -j {jobs}", folder.Path, environment).Stdout.Trim().Length > 0)
            {
                Assert.That(waited.Elapsed, Is.LessThan(TimeSpan.FromMinutes(3)), Logs(folder.Path));
                Thread.Sleep(1000);
            }

            // The unsharded runs, directly.
            var whole = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera,
                "--cache", folder.File("whole-cache"), "--quiet");
            Assert.That(whole.ExitCode, Is.Zero, whole.Stderr);
            var scored = ExtractCliRunner.Run("score", "--model", ScoreTestModels.Instance.FusedPath, "--input", ScoreTestModels.ValFolder,
                "--out", folder.File("whole-scores"), "--rows-per-part", "16");
            Assert.That(scored.ExitCode, Is.Zero, scored.Stderr);

            using (var cache = EmbeddingCache.Open(folder.File("cache")))
                Assert.That(CacheCompletion.Read(cache).IsComplete, Is.True, Logs(folder.Path));
            ShardedCacheAssert.SameRows(folder.File("whole-cache"), folder.File("cache"));
            Assert.That(Directory.GetFiles(folder.File("scores"), "_SUCCESS.shard-*-of-4"), Has.Length.EqualTo(4));
            Assert.That(ScoreTestModels.ReadRows(folder.File("scores")), Is.EqualTo(ScoreTestModels.ReadRows(folder.File("whole-scores"))));

            // A time-limit requeue: a task longer than its two-minute limit whatever the machine's speed, so the warning
            // (sent 60 s before the limit, so at least a minute into the task, when it has committed parts even on a
            // machine the other test projects load: with a one-minute limit and the warning 15 s in, a loaded CI run once
            // met the task before its first part; slurmctld checks limits every few seconds to half a minute) always
            // meets it mid-run: 400 copies of the images, ~40,000 for shard 1, over two minutes even at 300 images/s.
            const int Copies = 400;
            // A manifest rather than a folder of links: it reads in a moment, so the task is embedding (and commits a
            // part every PART_SECONDS) long before the warning can come.
            var big = folder.File("big.csv");
            using (var manifest = new StreamWriter(big))
            {
                manifest.WriteLine("path,label,split,id");
                foreach (var image in Directory.GetFiles(SharedData.Hymenoptera, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    var relative = Path.GetRelativePath(SharedData.Hymenoptera, image).Split(Path.DirectorySeparatorChar);
                    for (var r = 0; r < Copies; r++) manifest.WriteLine($"{image},{relative[1]},{relative[0]},r{r}/{string.Join('/', relative)}");
                }
            }
            environment["EXTRACT_IMAGES"] = big;
            environment["EXTRACT_CACHE"] = folder.File("requeue-cache");
            environment["PART_SECONDS"] = "2";
            var submitted = BashScript.Run($"sbatch --parsable --cpus-per-task=1 --mem=1G --time=2 --signal=B:TERM@60 --array=1 " +
                                           $"--output='{folder.Path}/requeue-%a.log' '{Deploy}/extract-array.sh'", folder.Path, environment);
            Assert.That(submitted.ExitCode, Is.Zero, submitted.Output);
            var job = submitted.Stdout.Trim() + "_1";
            var log = Path.Combine(folder.Path, "requeue-1.log");
            var restarted = false;
            var wait = Stopwatch.StartNew();
            // The warning comes a minute in, on slurmctld's limit-check cycle (up to half a minute late), and a requeued task
            // waits for its begin time, so the restart is awaited for up to five minutes; it is seen as soon as it happens.
            while (wait.Elapsed < TimeSpan.FromSeconds(300))
            {
                var show = BashScript.Run($"scontrol show job {job}", folder.Path, environment);
                if (show.Stdout.Contains("Restarts=1") && show.Stdout.Contains("JobState=RUNNING")) { restarted = true; break; }
                // Or the batch log shows the task's next attempt: a requeued attempt that also met the warning (each
                // attempt keeps the two-minute limit) and was requeued again, which scontrol can show between polls.
                var attempts = File.Exists(log) ? Regex.Matches(File.ReadAllText(log), "SIGTERM from Slurm").Count : 0;
                if (attempts >= 2 && File.ReadAllText(log).Contains("interrupted (exit 130); requeueing")) { restarted = true; break; }
                Thread.Sleep(1000);
            }
            BashScript.Run($"scancel {job}", folder.Path, environment);
            var text = File.Exists(log) ? File.ReadAllText(log) : "(no log)";
            Assert.That(text, Does.Contain("SIGTERM from Slurm").And.Contain("interrupted (exit 130); requeueing"), text);
            Assert.That(restarted, Is.True, $"the requeued task started again\n{text}");
            using (var cache = EmbeddingCache.Open(folder.File("requeue-cache")))
            {
                Assert.That(cache.PartFiles(), Is.Not.Empty, "the interrupted attempt committed its rows");
                Assert.That(CacheVerification.Verify(cache).IsIntact, Is.True);
            }
            TestContext.Out.WriteLine($"slurm test body: {clock.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            BashScript.Run($"'{Deploy}/test/one-node-cluster.sh' stop '{cluster}'", folder.Path);
        }
    }

    private static string Logs(string folder) =>
        string.Join("\n", Directory.GetFiles(folder, "*.log").Order(StringComparer.Ordinal).Select(f => $"== {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
}
