using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Ood;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// The OOD score end to end on real images: hymenoptera images and five non-insect reference images (a cat, an
/// astronaut, coffee, a motorcycle, a rocket) extracted with the shared MobileNetV2; <c>train --ood mahalanobis
/// --ood-eval</c> reports AUROCs; the fused model from <c>compose</c> scores both folders, and the Parquet read back by
/// DuckDB has <c>ood_score</c> (equal to the library's score of the cache rows) and <c>ood</c>; bad options are refused.
/// </summary>
public class OodCommandTests
{
    private static readonly string[] Others = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg"];

    private static JsonElement Query(params string[] statements)
    {
        var request = new JsonObject { ["statements"] = new JsonArray(statements.Select(s => (JsonNode)s).ToArray()), ["all"] = true };
        return JsonDocument.Parse(NodeOracle.Run("duckdb-query.mjs", [], request.ToJsonString())).RootElement.GetProperty("results").Clone();
    }

    [Test]
    public void TrainReportsAurocAndTheFusedModelScoresOodColumns()
    {
        using var root = new TempDirectory("cli-ood");
        var images = HymenopteraSubset.CopyTo(root.File("images"), 12);
        // A flat folder: out-of-distribution pictures nobody labelled, as a user has them.
        var others = Directory.CreateDirectory(root.File("others")).FullName;
        foreach (var file in Others) File.Copy(Path.Combine(SharedData.Root, "reference", "images", file), Path.Combine(others, file));
        var cache = root.File("cache");
        var otherCache = root.File("other-cache");
        foreach (var (input, output) in new[] { (images, cache), (root.File("others"), otherCache) })
        {
            var extract = ExtractCliRunner.Run("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", input, "--cache", output, "--quiet");
            Assert.That(extract.ExitCode, Is.EqualTo(0), extract.Stderr);
        }

        var head = root.File("head.onnx");
        var report = root.File("report.html");
        var train = ExtractCliRunner.Run("train", "--cache", cache, "--ood", "mahalanobis", "--ood-eval", otherCache, "--ood-holdout-class", "bees",
            "--out", head, "--opset", "15", "--report", report, "--json");
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Stderr);
        var ood = JsonNode.Parse(train.Stdout)!["ood"]!;
        TestContext.Out.WriteLine($"train --ood mahalanobis on 24 hymenoptera rows: {ood.ToJsonString()}");
        Assert.That(ood["method"]!.GetValue<string>(), Is.EqualTo("mahalanobis"));
        Assert.That(ood["eval_rows"]!.GetValue<int>(), Is.EqualTo(24));
        Assert.That(ood["ood_rows"]!.GetValue<int>(), Is.EqualTo(Others.Length));
        Assert.That(ood["ood_auroc"]!.GetValue<double>(), Is.GreaterThan(0.5), "non-insect images score above hymenoptera val");
        Assert.That(ood["noise_auroc"]!.GetValue<double>(), Is.GreaterThan(0.5));
        Assert.That(File.ReadAllText(report), Does.Contain("Out-of-distribution score").And.Contain("held out of training"));
        var heldOut = ood["held_out"]!;
        Assert.That((heldOut["class"]!.GetValue<string>(), heldOut["held_out_rows"]!.GetValue<int>(), heldOut["in_rows"]!.GetValue<int>()), Is.EqualTo(("bees", 12, 12)));
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(report, ".json")))!["ood"]!["ood_auroc"], Is.Not.Null);

        foreach (var (options, message) in new[]
                 {
                     (new[] { "--ood", "mahalanobis", "--ood-holdout-class", "wasps" }, "not a label"),
                     (new[] { "--ood", "msp", "--ood-holdout-class", "bees" }, "use --ood mahalanobis for this check"),
                     (new[] { "--ood-holdout-class", "bees" }, "add --ood mahalanobis"),
                 })
        {
            var refused = ExtractCliRunner.Run(["train", "--cache", cache, "--out", root.File("refused.onnx"), .. options]);
            Assert.That(refused.ExitCode, Is.Not.Zero, string.Join(" ", options));
            Assert.That(refused.Stderr, Does.Contain(message));
            Assert.That(File.Exists(root.File("refused.onnx")), Is.False, "refused before any head is written");
        }

        var fused = root.File("fused.onnx");
        var compose = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", head, "--out", fused);
        Assert.That(compose.ExitCode, Is.EqualTo(0), compose.Stderr);
        Assert.That(compose.Stdout, Does.Contain("ood_score"));
        var fusedTta = root.File("fused-tta.onnx");
        var composeTta = ExtractCliRunner.Run("compose", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", head, "--out", fusedTta, "--tta", "hflip");
        Assert.That(composeTta.ExitCode, Is.EqualTo(0), composeTta.Stderr);
        var scores = root.File("scores");
        var otherScores = root.File("other-scores");
        var chainedScores = root.File("chained-scores");
        var ttaScores = root.File("tta-scores");
        var chainedTtaScores = root.File("chained-tta-scores");
        foreach (var (input, output, model) in new[]
                 {
                     (images, scores, new[] { "--model", fused }), (root.File("others"), otherScores, new[] { "--model", fused }),
                     (images, chainedScores, new[] { "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", head }),
                     (images, ttaScores, new[] { "--model", fusedTta }),
                     (images, chainedTtaScores, new[] { "--backbone", ExtractCliRunner.MobileNetV2Spec, "--head", head, "--tta", "hflip" }),
                 })
        {
            var score = ExtractCliRunner.Run(["score", .. model, "--input", input, "--out", output]);
            Assert.That(score.ExitCode, Is.EqualTo(0), score.Stderr);
        }

        // The library's score of the cache rows, from a detector fitted on the same training rows (deterministic).
        var dataset = EmbeddingDataset.Open(cache);
        var imported = HeadOnnxImporter.Load(head).Head;
        var detector = new OodFitter(OodMethod.Mahalanobis).Fit(imported, dataset.Load("train", imported.Labels), _ => throw new InvalidOperationException());
        var all = dataset.Load(null, imported.Labels);
        // The held-out check, recomputed by the library: a summary of the ants alone, bees of val scored against val ants.
        var holdout = OodHoldout.Evaluate(new OodFitter(OodMethod.Mahalanobis), imported, dataset.Load("train", imported.Labels), dataset.Load("val", imported.Labels), "bees",
            _ => throw new InvalidOperationException());
        TestContext.Out.WriteLine($"bees held out: AUROC {holdout.Auroc:F4} (CLI {heldOut["auroc"]}), flagged {holdout.HeldOutFlagged:P1} of bees, {holdout.InFlagged:P1} of ants");
        Assert.That(heldOut["auroc"]!.GetValue<double>(), Is.EqualTo(holdout.Auroc).Within(1e-12));
        Assert.That(heldOut["held_out_flagged"]!.GetValue<double>(), Is.EqualTo(holdout.HeldOutFlagged).Within(1e-12));
        var expected = detector.Score(imported, all);
        var byId = all.Ids!.Select((id, i) => (id, expected[i])).ToDictionary(p => p.id, p => p.Item2);

        string Glob(string folder) => Path.Combine(folder, "*.parquet").Replace("'", "''");
        var results = Query(
            $"SELECT id, ood_score, ood FROM read_parquet('{Glob(scores)}') ORDER BY id",
            $"SELECT count(*) AS n, count(*) FILTER (WHERE ood) AS flagged FROM read_parquet('{Glob(otherScores)}')",
            $"SELECT id, ood_score, ood FROM read_parquet('{Glob(chainedScores)}') ORDER BY id",
            $"SELECT id, ood_score, ood FROM read_parquet('{Glob(ttaScores)}') ORDER BY id",
            $"SELECT id, ood_score, ood FROM read_parquet('{Glob(chainedTtaScores)}') ORDER BY id");
        double threshold = double.Parse(ood["threshold"]!.ToString(), CultureInfo.InvariantCulture);
        Assert.That(Math.Abs(threshold - detector.Threshold) / threshold, Is.LessThanOrEqualTo(1e-5), "the library refit finds the file's threshold");

        // Worst |Δ|/max(1, |score|) against the library's score of the cache rows; ood must be ood_score > the file's threshold.
        double Worst(JsonElement result)
        {
            var rows = result.GetProperty("rows").EnumerateArray().ToArray();
            Assert.That(rows, Has.Length.EqualTo(byId.Count));
            double worst = 0;
            foreach (var row in rows)
            {
                double actual = row.GetProperty("ood_score").GetDouble();
                double reference = byId[row.GetProperty("id").GetString()!];
                worst = Math.Max(worst, Math.Abs(actual - reference) / Math.Max(1, Math.Abs(reference)));
                Assert.That(row.GetProperty("ood").GetBoolean(), Is.EqualTo(actual > threshold), "ood is ood_score > the threshold");
            }
            return worst;
        }
        double fusedWorst = Worst(results[0]), chainedWorst = Worst(results[2]);
        // With test-time views the score stays the original view's, the one the threshold was set on.
        double ttaWorst = Worst(results[3]), chainedTtaWorst = Worst(results[4]);
        var other = results[1].GetProperty("rows")[0];
        TestContext.Out.WriteLine($"ood_score vs library on {byId.Count} cache rows, worst |Δ|/max(1,|score|): chained (backbone + head) {chainedWorst:E2}, " +
                                  $"fused {fusedWorst:E2}; threshold {threshold.ToString(CultureInfo.InvariantCulture)}; " +
                                  $"non-insect images flagged {other.GetProperty("flagged")} of {other.GetProperty("n")}");
        Assert.That(chainedWorst, Is.LessThanOrEqualTo(1e-5));
        Assert.That(fusedWorst, Is.LessThanOrEqualTo(1e-5));
        TestContext.Out.WriteLine($"with --tta hflip: fused {ttaWorst:E2}, chained {chainedTtaWorst:E2}");
        Assert.That(ttaWorst, Is.LessThanOrEqualTo(1e-5));
        Assert.That(chainedTtaWorst, Is.LessThanOrEqualTo(1e-5));
    }

    [TestCase("--ood", "density")]
    [TestCase("--ood", "mahalanobis", "--ood-fpr", "1.5")]
    [TestCase("--ood", "mahalanobis", "--ood-fpr", "0")]
    [TestCase("--ood-fpr", "0.1")]
    [TestCase("--head", "knn", "--ood", "energy")]
    public void BadOodOptionsAreRefused(params string[] options)
    {
        using var root = new TempDirectory("cli-ood-usage");
        var result = ExtractCliRunner.Run(["train", "--cache", root.Path, "--out", root.File("head.onnx"), .. options]);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.Stdout + result.Stderr);
        Assert.That(result.Stderr, Does.Contain("--ood").Or.Contain("mahalanobis"), "the message names the option or the values it takes");
    }
}
