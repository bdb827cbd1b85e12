using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15, disk full, on a real full disk: a 400 KiB tmpfs. The failed run deletes its own temporary file, says in
/// one JSON log line (stderr is not a terminal) at which part the disk filled, how many rows are committed and how much
/// space is needed, and exits 2; the committed parts verify; once space is freed the same command completes the cache
/// byte for byte as a run on a normal disk. Mounting needs root (CI runs as root): without it the test fails, saying so.
/// </summary>
[NonParallelizable]
public class ExtractDiskFullTests
{
    private static string Train => Path.Combine(SharedData.Hymenoptera, "train");

    [Test]
    public void ExtractOnAFullDiskCleansUpSaysWhereItStoppedAndARerunCompletesIt()
    {
        using var folder = new TempDirectory("cli-extract-disk-full");
        var disk = folder.File("small-disk");
        using (var small = SmallDisk.Mount(disk, "400k"))
        {
            var cache = Path.Combine(disk, "cache");
            string[] Extract(string into) => ["extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", Train, "--cache", into, "--rows-per-part", "32"];

            var (code, _, stderr) = ExtractCliRunner.Run(Extract(cache));
            Assert.That(code, Is.EqualTo(2), stderr);
            var error = SmallDisk.AssertDiskFullReport(stderr, cache);
            Assert.That(error.GetProperty("rows_committed").GetInt64(), Is.GreaterThan(0).And.LessThan(244));
            var (verify, verifyOut, verifyLog) = ExtractCliRunner.Run("cache", "verify", cache);
            Assert.That(verify, Is.Zero, verifyOut + verifyLog);

            small.Grow("64m"); // free space
            var (again, _, againLog) = ExtractCliRunner.Run(Extract(cache));
            Assert.That(again, Is.Zero, againLog);

            var reference = folder.File("reference");
            var (plain, _, plainLog) = ExtractCliRunner.Run(Extract(reference));
            Assert.That(plain, Is.Zero, plainLog);
            static SortedDictionary<string, byte[]> Parts(string dir) =>
                new(ScoreTestModels.ReadFiles(dir).Where(f => f.Key.StartsWith("part-", StringComparison.Ordinal) || f.Key.StartsWith("errors-", StringComparison.Ordinal))
                    .ToDictionary(f => f.Key, f => f.Value), StringComparer.Ordinal);
            var expected = Parts(reference);
            Assert.That(expected, Is.Not.Empty);
            Assert.That(Parts(cache), Is.EqualTo(expected), "the continued cache equals a run on a normal disk, byte for byte");
        }
    }
}
