using System.Text.Json;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// <c>compose --tta hflip</c>, and <c>predict</c>/<c>score</c> with views, through the built CLI on the hymenoptera
/// val images: the fused model with views and the chained run with <c>--tta hflip</c> agree, differ from the single-view
/// model, and score into parts like any fused model; wrong view names and mismatched requests are refused with the fix.
/// </summary>
[NonParallelizable]
public class TestTimeViewsCommandTests
{
    private static ScoreTestModels M => ScoreTestModels.Instance;

    private static readonly Lazy<string> ViewsModel = new(() =>
    {
        var path = Path.Combine(M.Folder, "fused-hflip.onnx");
        var (code, stdout, stderr) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath, "--out", path, "--tta", "hflip");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("views      original,hflip").And.Contain("probabilities: float [batch,2], label_index: int64 [batch]"));
        return path;
    });

    private static string[] ValImages(int each) => [.. new[] { "ants", "bees" }.SelectMany(label =>
        Directory.GetFiles(Path.Combine(ScoreTestModels.ValFolder, label)).Order(StringComparer.Ordinal).Take(each))];

    private static float[] Probabilities(string json) =>
        [.. json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("probability").GetSingle())];

    [Test]
    public void FusedWithViewsEqualsChainedWithTtaAndDiffersFromTheSingleView()
    {
        var files = ValImages(4);
        var (fusedCode, fused, fusedLog) = ExtractCliRunner.Run(["predict", "--model", ViewsModel.Value, "--json", .. files]);
        var (chainedCode, chained, chainedLog) = ExtractCliRunner.Run(["predict", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath, "--tta", "hflip", "--json", .. files]);
        var (plainCode, plain, plainLog) = ExtractCliRunner.Run(["predict", "--model", M.FusedPath, "--json", .. files]);
        Assert.That((fusedCode, chainedCode, plainCode), Is.EqualTo((0, 0, 0)), fusedLog + chainedLog + plainLog);
        var (p, q, single) = (Probabilities(fused), Probabilities(chained), Probabilities(plain));
        Assert.That(p, Has.Length.EqualTo(files.Length));
        Assert.That(p, Is.EqualTo(q).Within(1e-5f), "fused = chained with the same views");
        Assert.That(p.Zip(single, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-3f), "the views change the probabilities");
        Assert.That(OnnxModel.Load(ViewsModel.Value).GetMetadata("onnxtransfer.tta.views"), Is.EqualTo("original,hflip"));
    }

    [Test]
    public void ScoreRunsTheModelWithViewsAndNamesTheChainedViewsInItsIdentity()
    {
        using var folder = new TempDirectory("cli-score-views");
        var (code, _, log) = ExtractCliRunner.Run("score", "--model", ViewsModel.Value, "--input", ScoreTestModels.ValFolder, "--out", folder.File("fused"));
        Assert.That(code, Is.Zero, log);
        Assert.That(ScoreTestModels.ReadRows(folder.File("fused")), Has.Count.EqualTo(153));
        Assert.That(File.Exists(folder.File("fused/_SUCCESS")), Is.True);

        var (chainedCode, _, chainedLog) = ExtractCliRunner.Run("score", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath, "--tta", "hflip",
            "--input", ScoreTestModels.ValFolder, "--out", folder.File("chained"));
        Assert.That(chainedCode, Is.Zero, chainedLog);
        var manifest = Directory.GetFiles(folder.File("chained"), "_manifest*").Single();
        using var json = JsonDocument.Parse(File.ReadAllText(manifest));
        Assert.That(json.RootElement.GetProperty("model").GetString(), Does.EndWith(" + tta original,hflip"), "a rerun without the views is another model");
    }

    [Test]
    public void UnknownViewsAndMismatchedRequestsAreRefusedWithTheFix()
    {
        using var folder = new TempDirectory("cli-views-refused");
        var (unknown, _, unknownLog) = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", M.HeadPath,
            "--out", folder.File("x.onnx"), "--tta", "vflip");
        Assert.That(unknown, Is.EqualTo(1), unknownLog);
        Assert.That(unknownLog, Does.Contain("Unknown view 'vflip'").And.Contain("known views are hflip"));
        Assert.That(File.Exists(folder.File("x.onnx")), Is.False);

        var image = ValImages(1)[0];
        var (missing, _, missingLog) = ExtractCliRunner.Run("predict", "--model", M.FusedPath, "--tta", "hflip", image);
        Assert.That(missing, Is.EqualTo(2), missingLog);
        Assert.That(missingLog, Does.Contain("composed without test-time views").And.Contain("--tta hflip"));
        var (changed, _, changedLog) = ExtractCliRunner.Run("predict", "--model", ViewsModel.Value, "--tta", "none", image);
        Assert.That(changed, Is.EqualTo(2), changedLog);
        Assert.That(changedLog, Does.Contain("averages the views original,hflip"));
    }
}
