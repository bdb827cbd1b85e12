using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15, disk full, for score as for extract (<see cref="ExtractDiskFullTests"/>), on a real full disk: a 40 KiB
/// tmpfs holds four of the ten parts. The failed run deletes its own temporary file, says in one JSON log line (the
/// event shape of extract's) at which part the disk filled, how many rows are committed and how much space is needed,
/// and exits 2; the committed parts verify; once space is freed the same command completes the folder with the parts
/// of a run on a normal disk, byte for byte, and <c>score verify</c> passes.
/// </summary>
[NonParallelizable]
public class ScoreDiskFullTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;

    [Test]
    public void ScoreOnAFullDiskCleansUpSaysWhereItStoppedAndARerunCompletesIt()
    {
        using var folder = new TempDirectory("cli-score-disk-full");
        string[] Score(string into) => ["score", "--model", M.FusedPath, "--input", ScoreTestModels.ValFolder, "--out", into, "--rows-per-part", "16"];
        var reference = folder.File("reference");
        var (plain, _, plainLog) = ExtractCliRunner.Run(Score(reference));
        Assert.That(plain, Is.Zero, plainLog);

        using var small = SmallDisk.Mount(folder.File("small-disk"), "40k");
        var output = Path.Combine(small.Path, "scores");
        var (code, _, stderr) = ExtractCliRunner.Run(Score(output));
        Assert.That(code, Is.EqualTo(2), stderr);
        var error = SmallDisk.AssertDiskFullReport(stderr, output);
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("part").GetInt32(), Is.LessThan(10), "the disk filled before the last part");
            Assert.That(error.GetProperty("rows_committed").GetInt64(), Is.EqualTo(16L * error.GetProperty("part").GetInt32()), "the parts before it, whole");
            Assert.That(error.GetProperty("out").GetString(), Is.EqualTo(output));
            Assert.That(File.Exists(Path.Combine(output, "_SUCCESS")), Is.False);
        });
        var (verify, verifyOut, verifyLog) = ExtractCliRunner.Run("score", "verify", "--out", output);
        Assert.That(verify, Is.Zero, verifyOut + verifyLog);

        small.Grow("8m"); // free space
        var (again, _, againLog) = ExtractCliRunner.Run(Score(output));
        Assert.That(again, Is.Zero, againLog);
        var (verified, verifiedOut, verifiedLog) = ExtractCliRunner.Run("score", "verify", "--out", output);
        Assert.That(verified, Is.Zero, verifiedOut + verifiedLog);
        Assert.That(verifiedOut, Does.Contain("ok: 10 part(s), 153 row(s)"));
        static SortedDictionary<string, byte[]> Parts(string dir) =>
            new(ScoreTestModels.ReadFiles(dir).Where(f => f.Key.StartsWith("part-", StringComparison.Ordinal)).ToDictionary(f => f.Key, f => f.Value),
                StringComparer.Ordinal);
        Assert.That(Parts(output), Is.EqualTo(Parts(reference)), "the continued folder equals a run on a normal disk, byte for byte");
    }
}
