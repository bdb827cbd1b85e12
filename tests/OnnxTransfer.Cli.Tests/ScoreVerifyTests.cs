using OnnxTransfer.Inference.Scoring;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15: score parts carry the cache's integrity (page CRC-32 and a <c>.sha256</c> beside each part), and
/// <c>score verify --out DIR</c> finds any changed byte, naming the part and the fix; the fix (delete it, rerun the same
/// score command) redoes exactly that part, byte for byte.
/// </summary>
[NonParallelizable]
public class ScoreVerifyTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;

    [Test]
    public void EveryFlippedByteOfAPartIsReportedAndTheRerunRestoresItExactly()
    {
        using var folder = new TempDirectory("cli-score-verify");
        var output = folder.File("scores");
        string[] score = ["score", "--model", M.FusedPath, "--input", ScoreTestModels.ValFolder, "--out", output, "--rows-per-part", "64"];
        var (code, _, log) = ExtractCliRunner.Run(score);
        Assert.That(code, Is.Zero, log);
        var original = ScoreTestModels.ReadFiles(output);
        Assert.That(original.Keys, Does.Contain("part-00001.parquet.sha256"), "every part has its checksum file");
        var (ok, okOut, okLog) = ExtractCliRunner.Run("score", "verify", "--out", output);
        Assert.That(ok, Is.Zero, okLog);
        Assert.That(okOut, Does.Contain("ok: 3 part(s)"));

        var part = Path.Combine(output, "part-00001.parquet");
        var bytes = original["part-00001.parquet"];
        var random = new Random(15);
        var missed = new List<int>();
        for (var i = 0; i < 50; i++)
        {
            var offset = random.Next(bytes.Length);
            var flipped = (byte[])bytes.Clone();
            flipped[offset] ^= 0x10;
            File.WriteAllBytes(part, flipped);
            var result = ScoreVerification.Verify(output);
            if (result.Damaged.Count != 1 || result.Damaged[0].File != part) missed.Add(offset);
        }
        Assert.That(missed, Is.Empty, "offsets whose flip went unreported");

        // The last flip stays: the CLI names the part and the fix, exit 2; a rerun refuses to count the damaged part.
        var (damagedCode, _, damagedLog) = ExtractCliRunner.Run("score", "verify", "--out", output);
        Assert.That(damagedCode, Is.EqualTo(2), damagedLog);
        Assert.That(damagedLog, Does.Contain("part-00001.parquet").And.Contain("rerun the same score command"));
        var (rerunDamaged, _, rerunLog) = ExtractCliRunner.Run(score);
        Assert.That(rerunDamaged, Is.EqualTo(2), rerunLog);
        Assert.That(rerunLog, Does.Contain("part-00001.parquet").And.Contain("Delete"));

        // The fix: delete the reported part (and its checksum file), rerun: byte-identical to the first run.
        File.Delete(part);
        File.Delete(part + ".sha256");
        var (again, _, againLog) = ExtractCliRunner.Run(score);
        Assert.That(again, Is.Zero, againLog);
        Assert.That(ScoreTestModels.ReadFiles(output), Is.EqualTo(original), "the rerun wrote exactly the deleted part again");
        Assert.That(ExtractCliRunner.Run("score", "verify", "--out", output).ExitCode, Is.Zero);
    }

    [Test]
    public void CsvPartsCarryAChecksumToo()
    {
        using var folder = new TempDirectory("cli-score-verify-csv");
        var output = folder.File("scores");
        var (code, _, log) = ExtractCliRunner.Run("score", "--model", M.FusedPath, "--input", ScoreTestModels.ValFolder, "--out", output, "--format", "csv");
        Assert.That(code, Is.Zero, log);
        var part = Path.Combine(output, "part-00000.csv");
        Assert.That(File.Exists(part + ".sha256"));
        var text = File.ReadAllBytes(part);
        text[text.Length / 2] ^= 0x01;
        File.WriteAllBytes(part, text);
        var (damaged, _, damagedLog) = ExtractCliRunner.Run("score", "verify", "--out", output);
        Assert.That(damaged, Is.EqualTo(2), damagedLog);
        Assert.That(damagedLog, Does.Contain("part-00000.csv"));
    }
}
