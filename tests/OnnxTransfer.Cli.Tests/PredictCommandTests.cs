using System.Text.Json;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary><c>compose</c> and <c>predict</c> through the built CLI: output, exit codes, both model forms agree.</summary>
[NonParallelizable]
public class PredictCommandTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;

    private static string[] Images(string label, int count) =>
        Directory.GetFiles(Path.Combine(ScoreTestModels.ValFolder, label)).Order(StringComparer.Ordinal).Take(count).ToArray();

    [Test]
    public void ComposeWritesAFusedModelAndSaysWhatItHolds()
    {
        Assert.That(M.ComposeOutput, Does.Contain("/Flatten_output_0").And.Contain("2 labels (ants, bees)").And.Contain("probabilities"));
        var model = OnnxModel.Load(M.FusedPath);
        Assert.That(model.GetMetadata("onnxtransfer.format"), Is.EqualTo("fused/1"));

        using var folder = new TempDirectory("cli-compose");
        var (code, stdout, stderr) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath,
            "--out", folder.File("folded.onnx"), "--fold-normalization", "byte", "--features");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("RGB pixels 0-255"));
        Assert.That(OnnxModel.Load(folder.File("folded.onnx")).Outputs.Select(o => o.Name), Does.Contain("features"));

        var (usage, _, usageLog) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath,
            "--out", folder.File("x.onnx"), "--fold-normalization", "percent");
        Assert.That(usage, Is.EqualTo(1), usageLog);
        var (notHead, _, notHeadLog) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.FusedPath,
            "--out", folder.File("x.onnx"));
        Assert.That(notHead, Is.EqualTo(2));
        Assert.That(notHeadLog, Does.Contain("is a fused model"));
    }

    [Test]
    public void PredictPrintsATableOrJsonAndTheChainedFormAgrees()
    {
        var files = Images("ants", 2).Concat(Images("bees", 2)).ToArray();
        var (code, table, stderr) = ExtractCliRunner.Run(["predict", "--model", M.FusedPath, "--top-k", "2", .. files]);
        Assert.That(code, Is.Zero, stderr);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(5));
        Assert.That(lines[0], Does.StartWith("input").And.Contain("probability"));

        var (jsonCode, json, _) = ExtractCliRunner.Run(["predict", "--model", M.FusedPath, "--json", .. files]);
        var (chainedCode, chained, chainedLog) = ExtractCliRunner.Run(["predict", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath, "--json", .. files]);
        Assert.That((jsonCode, chainedCode), Is.EqualTo((0, 0)), chainedLog);
        var fused = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var fromChained = chained.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(fused, Has.Count.EqualTo(4));
        for (var i = 0; i < 4; i++)
        {
            Assert.That(fused[i].GetProperty("input").GetString(), Is.EqualTo(files[i]));
            Assert.That(fused[i].GetProperty("label").GetString(), Is.EqualTo(fromChained[i].GetProperty("label").GetString()));
            Assert.That(fused[i].GetProperty("probability").GetSingle(), Is.EqualTo(fromChained[i].GetProperty("probability").GetSingle()).Within(1e-5f));
            Assert.That(fused[i].GetProperty("top_k").GetArrayLength(), Is.EqualTo(2), "top-k is capped at the two classes");
        }
        Assert.That(fused.Take(2).Count(p => p.GetProperty("label").GetString() == "ants") + fused.Skip(2).Count(p => p.GetProperty("label").GetString() == "bees"),
            Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public void PredictReportsAnUnreadableFileAndExits2()
    {
        using var folder = new TempDirectory("cli-predict-bad");
        File.WriteAllText(folder.File("fake.jpg"), "text");
        var good = Images("bees", 1)[0];
        var (code, stdout, stderr) = ExtractCliRunner.Run("predict", "--model", M.FusedPath, "--json", good, folder.File("fake.jpg"));
        Assert.That(code, Is.EqualTo(2), stderr);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(rows[0].TryGetProperty("label", out _), Is.True, "the good file is still classified");
        Assert.That(rows[1].GetProperty("error").GetString(), Is.EqualTo("not-an-image"));

        var (usage, _, usageLog) = ExtractCliRunner.Run("predict", "--model", M.FusedPath, "--backbone", ExtractCliRunner.MobileNetV2Spec, good);
        Assert.That(usage, Is.EqualTo(1));
        Assert.That(usageLog, Does.Contain("not both"));
        var (missing, _, missingLog) = ExtractCliRunner.Run("predict", "--model", folder.File("none.onnx"), good);
        Assert.That(missing, Is.EqualTo(2));
        Assert.That(missingLog, Does.Contain("does not exist"));
    }
}
