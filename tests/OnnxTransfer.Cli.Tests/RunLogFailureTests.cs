using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 15: off a terminal, every warning and error extract and score print during a run is a JSON log line, as their
/// progress (score) and disk-full report are — a refusal too. Before, a refusal was a plain <c>error: …</c> line in the
/// middle of score's JSON log, which a log collector could not parse.
/// </summary>
[NonParallelizable]
public class RunLogFailureTests
{
    [Test]
    public void AScoreRefusalIsAJsonErrorEventWithItsExitCode()
    {
        using var folder = new TempDirectory("cli-runlog-score");
        var file = folder.File("not-a-folder");
        File.WriteAllText(file, "x");
        var (code, _, stderr) = ExtractCliRunner.Run("score", "--model", ScoreTestModels.Instance.FusedPath, "--input", ScoreTestModels.ValFolder, "--out", file);
        Assert.That(code, Is.EqualTo(2), stderr);
        var events = JsonLines(stderr);
        Assert.That(events.Select(e => e.GetProperty("event").GetString()), Is.EqualTo(new[] { "start", "failed" }), stderr);
        var failed = events[^1];
        Assert.That(failed.GetProperty("level").GetString(), Is.EqualTo("error"));
        Assert.That(failed.GetProperty("exit_code").GetInt32(), Is.EqualTo(2));
        Assert.That(failed.GetProperty("message").GetString(), Does.Contain($"--out '{file}' is a file"));
    }

    [Test]
    public void AnExtractRefusalIsAJsonErrorEventWithItsExitCode()
    {
        using var folder = new TempDirectory("cli-runlog-extract");
        File.WriteAllText(folder.File("notes.txt"), "not a cache");
        var (code, _, stderr) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec,
            "--images", Path.Combine(SharedData.Hymenoptera, "val", "bees"), "--cache", folder.Path, "--quiet");
        Assert.That(code, Is.EqualTo(2), stderr);
        var failed = JsonLines(stderr).Single();
        Assert.That(failed.GetProperty("level").GetString(), Is.EqualTo("error"));
        Assert.That(failed.GetProperty("event").GetString(), Is.EqualTo("failed"));
        Assert.That(failed.GetProperty("exit_code").GetInt32(), Is.EqualTo(2));
        Assert.That(failed.GetProperty("message").GetString(), Does.Contain("is not empty and is not an embedding cache").And.Contain("'notes.txt'"));
    }

    /// <summary>Every line of stderr, each of which must be one JSON object.</summary>
    private static JsonElement[] JsonLines(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }).ToArray();
}
