using System.Text.Json;
using OnnxTransfer.Onnx;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;

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

    /// <summary>
    /// The deployment gets what the cache promised: <c>extract --views hflip</c> caches both views of every val image,
    /// and the fused model composed with <c>--tta hflip</c> scores each image with the head's probabilities averaged
    /// over its two cached rows — computed here by the trainer's own head on the cache, not by the runtime.
    /// </summary>
    [Test]
    public void FusedWithViewsScoresEqualTheHeadAveragedOverTheCachedViews()
    {
        using var folder = new TempDirectory("cli-tta-cached-views");
        var cache = folder.File("cache");
        var (extractCode, _, extractLog) = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", ScoreTestModels.ValFolder,
            "--cache", cache, "--views", "hflip", "--quiet");
        Assert.That(extractCode, Is.Zero, extractLog);
        var (scoreCode, _, scoreLog) = ExtractCliRunner.Run("score", "--model", ViewsModel.Value, "--input", ScoreTestModels.ValFolder, "--out", folder.File("scores"));
        Assert.That(scoreCode, Is.Zero, scoreLog);

        var head = HeadOnnxImporter.Load(M.HeadPath).Head;
        var dataset = EmbeddingDataset.Open(cache);
        var rows = dataset.Load(dataset.HasSplits ? dataset.Splits.Single() : null, head.Labels, ViewRows.All);
        var probabilities = head.PredictProba(rows);
        int k = head.Labels.Count;
        var expected = new Dictionary<string, double[]>();
        var views = new Dictionary<string, int>();
        for (int row = 0; row < rows.Count; row++)
        {
            var id = rows.Ids![row];
            if (!expected.TryGetValue(id, out var sum)) expected[id] = sum = new double[k];
            for (int c = 0; c < k; c++) sum[c] += probabilities[row * k + c];
            views[id] = views.GetValueOrDefault(id) + 1;
        }
        Assert.That(views.Values, Has.All.EqualTo(2), "every val image cached with its mirror");

        var fused = ReadProbabilities(folder.File("scores"), head.Labels);
        Assert.That(fused.Keys, Is.EquivalentTo(expected.Keys));
        double worst = 0, flipEffect = 0;
        var originals = dataset.Load(dataset.HasSplits ? dataset.Splits.Single() : null, head.Labels);
        var single = head.PredictProba(originals);
        foreach (var (id, sum) in expected)
            for (int c = 0; c < k; c++)
                worst = Math.Max(worst, Math.Abs(fused[id][c] - sum[c] / 2));
        for (int row = 0; row < originals.Count; row++)
            for (int c = 0; c < k; c++)
                flipEffect = Math.Max(flipEffect, Math.Abs(single[row * k + c] - expected[originals.Ids![row]][c] / 2));
        TestContext.Out.WriteLine($"max |fused − mean over the cached views| {worst:E2} on {expected.Count} images; the views move probabilities by up to {flipEffect:F3}");
        Assert.That(worst, Is.LessThanOrEqualTo(1e-5));
        Assert.That(flipEffect, Is.GreaterThan(1e-3), "the mirrored rows really enter the mean");
    }

    /// <summary>Each scored id's probability per label (the top-k columns hold every label of a two-class head).</summary>
    private static Dictionary<string, double[]> ReadProbabilities(string scores, IReadOnlyList<string> labels)
    {
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(scores, "*.parquet"))
        {
            using var reader = ParquetFileReader.Open(file);
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroup(g);
                var ids = group.ReadStrings("id");
                var topLabels = group.ReadColumn("top_k_labels");
                var topProbabilities = group.ReadColumn("top_k_probabilities");
                for (var i = 0; i < ids.Length; i++)
                {
                    var names = topLabels.GetList<string?>(i).ToArray();
                    var values = topProbabilities.GetList<float>(i).ToArray();
                    Assert.That(names, Has.Length.EqualTo(labels.Count));
                    var p = new double[labels.Count];
                    for (var j = 0; j < names.Length; j++) p[labels.ToList().IndexOf(names[j]!)] = values[j];
                    result.Add(ids[i]!, p);
                }
            }
        }
        return result;
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
