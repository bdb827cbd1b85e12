using System.Text.Json.Nodes;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Issue 14 (the first run's cost timed apart), CLI side on CPU, where it is asked for (auto warms up on CUDA only):
/// `extract --warm-up on` prints the warm-up line and records warm_up_seconds and the rate after it in its JSON summary;
/// `score --warm-up on` logs them on its done event; auto on CPU records 0; an unknown value is a usage error.
/// </summary>
public sealed class WarmUpCliTests
{
    [Test]
    public void ExtractReportsTheWarmUpApart()
    {
        using var temp = new TempDirectory("cli-warm-up");
        var images = HymenopteraSubset.CopyTo(temp.File("images"), perLabel: 5);

        var (code, stdout, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", temp.File("cache-json"),
            "--batch", "4", "--warm-up", "on", "--json");
        Assert.That(code, Is.Zero, log);
        var summary = JsonNode.Parse(stdout)!;
        var (seconds, warmUp) = (summary["seconds"]!.GetValue<double>(), summary["warm_up_seconds"]!.GetValue<double>());
        Assert.That(warmUp, Is.GreaterThan(0).And.LessThan(seconds), stdout);
        Assert.That(summary["images_per_second_after_warm_up"]!.GetValue<double>(), Is.EqualTo(20 / (seconds - warmUp)).Within(1e-6).Percent);

        (code, stdout, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", temp.File("cache-text"),
            "--batch", "4", "--warm-up", "on");
        Assert.That(code, Is.Zero, log);
        Assert.That(stdout, Does.Match(@"warm-up +\d+\.\d s of it: the model's first run, on a blank batch before decoding started; \d+\.\d images/s after it"));

        (code, stdout, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", images, "--cache", temp.File("cache-auto"),
            "--batch", "4", "--json");
        Assert.That(code, Is.Zero, log);
        Assert.That(JsonNode.Parse(stdout)!["warm_up_seconds"]!.GetValue<double>(), Is.Zero, "auto on CPU: no warm-up");
    }

    [Test]
    public void ScoreLogsTheWarmUpApart()
    {
        using var temp = new TempDirectory("cli-score-warm-up");
        var (code, _, log) = ExtractCliRunner.Run("score", "--model", ScoreTestModels.Instance.FusedPath, "--input", ScoreTestModels.ValFolder, "--out", temp.File("out"),
            "--batch", "8", "--warm-up", "on");
        Assert.That(code, Is.Zero, log);
        var done = log.Split('\n').Select(l => l.Trim()).Single(l => l.Contains("\"event\":\"done\""));
        var fields = JsonNode.Parse(done)!;
        Assert.That(fields["warm_up_seconds"]!.GetValue<double>(), Is.GreaterThan(0).And.LessThan(fields["seconds"]!.GetValue<double>()), done);
        Assert.That(fields["message"]!.GetValue<string>(), Does.Match(@"after a \d+\.\d s warm-up"));
    }

    [Test]
    public void AnUnknownValueIsAUsageError()
    {
        using var temp = new TempDirectory("cli-warm-up-refused");
        var (code, _, log) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", ScoreTestModels.ValFolder,
            "--cache", temp.File("out"), "--warm-up", "sometimes");
        Assert.That(code, Is.EqualTo(1), log);
        Assert.That(log, Does.Contain("Argument 'sometimes' not recognized").And.Contain("'auto'").And.Contain("extract --help"));
        Assert.That(Directory.Exists(temp.File("out")), Is.False, "refused before any work");
    }
}
