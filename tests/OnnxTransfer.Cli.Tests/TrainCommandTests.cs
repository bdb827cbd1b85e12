using System.Text.Json;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// <c>train</c>, <c>sweep</c> and <c>evaluate</c> on a real cache: the hymenoptera images extracted with the shared
/// MobileNetV2 by the Features pipeline (as <c>onnxtransfer extract</c> does), once for the fixture.
/// </summary>
[NonParallelizable]
public class TrainCommandTests
{
    private TempDirectory _temp = null!;
    private string _cache = null!;

    [OneTimeSetUp]
    public void ExtractCache()
    {
        _temp = new TempDirectory("cli-train");
        _cache = _temp.File("cache");
        var spec = BackboneSpecFile.Load(Path.Combine(RepositoryPaths.OnnxModels, "mobilenetv2-int8.backbone.json"));
        using var backbone = ImageBackbone.Load(spec);
        using var cache = EmbeddingCache.OpenForWriting(_cache, ExtractionPipeline.ManifestFor(backbone));
        new ExtractionPipeline(backbone, new ExtractionOptions { BatchSize = 32 }).Run(InputSet.Open(SharedData.Hymenoptera), cache);
    }

    [OneTimeTearDown]
    public void Delete() => _temp.Dispose();

    [Test]
    public void TrainSelectsCByCrossValidationOnTrainAndEvaluatesOnVal()
    {
        var head = _temp.File("softmax.onnx");
        var report = _temp.File("softmax-report.html");
        var (code, stdout, stderr) = TrainCli.Run("train", "--cache", _cache, "--out", head, "--report", report, "--json");
        Assert.That(code, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.That(root.GetProperty("train_split").GetString(), Is.EqualTo("train"));
        Assert.That(root.GetProperty("eval_split").GetString(), Is.EqualTo("val"));
        var selection = root.GetProperty("selection");
        Assert.That(selection.GetProperty("validation").GetString(), Does.Contain("5-fold cross-validation on the training split"));
        Assert.That(selection.GetProperty("validation").GetString(), Does.Contain("regularisation path"));
        // The path evaluates points of the 45-value grid only, and picks the exhaustive grid's C (5.6e-4 on hymenoptera).
        Assert.That(selection.GetProperty("candidates").GetArrayLength(), Is.InRange(10, 45));
        Assert.That(selection.GetProperty("best").GetString(), Is.EqualTo("C=0.0005623"));
        // Calibrated on the training split's out-of-fold logits (its 245 rows), never on val; val ECE not worse.
        var calibration = root.GetProperty("calibration");
        Assert.That(calibration.GetProperty("held_out_rows").GetInt32(), Is.EqualTo(245));
        Assert.That(calibration.GetProperty("held_out").GetString(), Does.Contain("out-of-fold"));
        Assert.That(calibration.GetProperty("eval_ece_after").GetDouble(), Is.LessThanOrEqualTo(calibration.GetProperty("eval_ece_before").GetDouble()));
        var metrics = root.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("split").GetString()!);
        double valAccuracy = metrics["val"].GetProperty("accuracy").GetDouble();
        TestContext.Out.WriteLine($"softmax: best {selection.GetProperty("best").GetString()}, val accuracy {valAccuracy:P2}");
        Assert.That(metrics["val"].GetProperty("rows").GetInt32(), Is.EqualTo(153));
        Assert.That(valAccuracy, Is.GreaterThanOrEqualTo(0.93));
        Assert.That(root.GetProperty("head").GetProperty("converged").GetBoolean(), Is.True);
        Assert.That(File.ReadAllText(report), Does.Contain("<svg").And.Contain("L2 sweep"));
        Assert.That(File.Exists(Path.ChangeExtension(report, ".json")), Is.True);

        // The exported head carries the cache fingerprint; evaluate (the trainer's forward pass on the imported head)
        // reproduces the val metrics train reported.
        var imported = HeadOnnxImporter.Load(head);
        Assert.That(imported.Fingerprint!.Sha256, Is.EqualTo(EmbeddingDataset.Open(_cache).Fingerprint!.Sha256));
        var (evalCode, evalOut, evalErr) = TrainCli.Run("evaluate", "--cache", _cache, "--head", head, "--json");
        Assert.That(evalCode, Is.Zero, evalErr);
        using var evaluation = JsonDocument.Parse(evalOut);
        var evalMetrics = evaluation.RootElement.GetProperty("metrics")[0];
        Assert.That(evalMetrics.GetProperty("split").GetString(), Is.EqualTo("val"));
        Assert.That(evalMetrics.GetProperty("accuracy").GetDouble(), Is.EqualTo(valAccuracy));
        Assert.That(evalMetrics.GetProperty("log_loss").GetDouble(), Is.EqualTo(metrics["val"].GetProperty("log_loss").GetDouble()).Within(1e-6));
    }

    [Test]
    public void TrainMlpPrintsItsFitAndStopsEarlyOnTrainingRowsOnly()
    {
        var head = _temp.File("mlp.onnx");
        var (code, stdout, stderr) = TrainCli.Run("train", "--cache", _cache, "--head", "mlp", "--hidden", "128", "--activation", "gelu",
            "--epochs", "8", "--dropout", "0.2", "--seed", "3", "--opset", "20", "--out", head);
        Assert.That(code, Is.Zero, stderr);
        TestContext.Out.WriteLine(stdout);
        Assert.That(stdout, Does.Contain("mlp [1280 → 128 gelu → 2]").And.Contain("held-out training rows").And.Contain("val "));
        var model = Onnx.OnnxModel.Load(head);
        Assert.That(model.GetOpsetVersion(""), Is.EqualTo(20));
        Assert.That(model.Nodes.Select(n => n.OpType), Has.Member("Gelu"));
        Assert.That(HeadOnnxImporter.Read(model).Head.Training!.History!.ValidationRows, Is.GreaterThan(0));
    }

    [Test]
    public void TrainCentroidExportsANearestCentroidHeadInMemoryOrStreamed()
    {
        var (a, inMemory, errA) = TrainCli.Run("train", "--cache", _cache, "--head", "centroid", "--out", _temp.File("c.onnx"), "--json");
        var (b, _, errB) = TrainCli.Run("train", "--cache", _cache, "--head", "centroid", "--out", _temp.File("d.onnx"), "--memory-budget", "1MiB");
        Assert.That((a, b), Is.EqualTo((0, 0)), errA + errB);
        using var json = JsonDocument.Parse(inMemory);
        var val = json.RootElement.GetProperty("metrics")[1];
        TestContext.Out.WriteLine($"centroid head val accuracy {val.GetProperty("accuracy").GetDouble():F4}");
        Assert.That(val.GetProperty("accuracy").GetDouble(), Is.GreaterThanOrEqualTo(0.85));
        var head = HeadOnnxImporter.Load(_temp.File("c.onnx")).Head;
        Assert.That(head.Kind, Is.EqualTo("nearest-centroid"));
        Assert.That(HeadOnnxImporter.Load(_temp.File("d.onnx")).Head.Layers[0].Weights, Is.EqualTo(head.Layers[0].Weights));

        var (misplaced, _, misplacedLog) = TrainCli.Run("train", "--cache", _cache, "--head", "centroid", "--l2", "1", "--out", _temp.File("x.onnx"));
        Assert.That(misplaced, Is.EqualTo(1));
        Assert.That(misplacedLog, Does.Contain("--l2 does not apply to --head centroid"));
    }

    [Test]
    public void TrainFewShotCurvePrintsFivePointsInJsonAndTheReport()
    {
        var report = _temp.File("few-shot.html");
        var (code, stdout, stderr) = TrainCli.Run("train", "--cache", _cache, "--head", "knn", "--few-shot-curve", "--out", _temp.File("fs.onnx"),
            "--report", report, "--json");
        Assert.That(code, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        var curve = json.RootElement.GetProperty("few_shot");
        Assert.That(curve.GetProperty("head").GetString(), Is.EqualTo("nearest-neighbours"));
        Assert.That(curve.GetProperty("evaluation_split").GetString(), Is.EqualTo("val"));
        var points = curve.GetProperty("points").EnumerateArray().ToArray();
        Assert.That(points.Select(p => p.GetProperty("shots").GetInt32()), Is.EqualTo(new[] { 1, 2, 4, 8, 16 }));
        foreach (var point in points)
        {
            // Two classes, both with more than 16 training images: n rows of each.
            Assert.That(point.GetProperty("training_rows").GetInt32(), Is.EqualTo(2 * point.GetProperty("shots").GetInt32()));
            var accuracies = point.GetProperty("accuracies").EnumerateArray().Select(a => a.GetDouble()).ToArray();
            Assert.That(accuracies, Has.Length.EqualTo(curve.GetProperty("draws").GetInt32()).And.All.InRange(0.0, 1.0));
            Assert.That(point.GetProperty("mean_accuracy").GetDouble(), Is.EqualTo(accuracies.Average()).Within(1e-9));
        }
        Assert.That(points[^1].GetProperty("mean_accuracy").GetDouble(), Is.GreaterThan(points[0].GetProperty("mean_accuracy").GetDouble()));
        var html = File.ReadAllText(report);
        Assert.That(html, Does.Contain("<h2>Few-shot curve</h2>").And.Contain("few-shot accuracy"));
        Assert.That(html, Does.Contain("vote of the k = 10 most similar rows"));
        using var reportJson = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(report, ".json")));
        Assert.That(reportJson.RootElement.GetProperty("few_shot").GetProperty("points").GetArrayLength(), Is.EqualTo(5));

        var (again, againJson, againLog) = TrainCli.Run("train", "--cache", _cache, "--head", "knn", "--few-shot-curve", "--out", _temp.File("fs2.onnx"), "--json");
        Assert.That(again, Is.Zero, againLog);
        using var repeated = JsonDocument.Parse(againJson);
        Assert.That(repeated.RootElement.GetProperty("few_shot").GetRawText(), Is.EqualTo(curve.GetRawText()), "the same seed draws the same rows");

        var (softmax, _, softmaxLog) = TrainCli.Run("train", "--cache", _cache, "--few-shot-curve", "--out", _temp.File("x.onnx"));
        Assert.That(softmax, Is.EqualTo(1));
        Assert.That(softmaxLog, Does.Contain("--few-shot-curve applies to --head centroid or knn"));
        var (streamed, _, streamedLog) = TrainCli.Run("train", "--cache", _cache, "--head", "centroid", "--few-shot-curve", "--memory-budget", "1MiB", "--out", _temp.File("y.onnx"));
        Assert.That(streamed, Is.EqualTo(2), streamedLog);
        Assert.That(streamedLog, Does.Contain("few-shot curve draws rows from the training split"));
    }

    [Test]
    public void SweepRanksAGridFileAndExportsTheWinner()
    {
        var grid = _temp.File("grid.json");
        File.WriteAllText(grid, """
            { "format": "onnxtransfer.sweep-grid", "version": 1, "head": "softmax",
              "C": {"log_range": [1e-4, 10, 6]}, "folds": 3, "metric": "log_loss" }
            """);
        var best = _temp.File("best.onnx");
        var (code, stdout, stderr) = TrainCli.Run("sweep", "--cache", _cache, "--grid", grid, "--out", best, "--json");
        Assert.That(code, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        var candidates = json.RootElement.GetProperty("selection").GetProperty("candidates").EnumerateArray().ToArray();
        Assert.That(candidates, Has.Length.EqualTo(6));
        var scores = candidates.Select(c => c.GetProperty("mean_score").GetDouble()).ToArray();
        Assert.That(scores, Is.Ordered.Ascending, "ranked by log-loss, lowest first");
        Assert.That(candidates.All(c => c.GetProperty("mean_fit_seconds").GetDouble() > 0), Is.True);
        Assert.That(json.RootElement.GetProperty("selection").GetProperty("validation").GetString(), Does.Contain("3-fold"));
        Assert.That(File.Exists(best), Is.True);

        var (table, text, _) = TrainCli.Run("sweep", "--cache", _cache, "--grid", "softmax-l2-fast", "--top", "3");
        Assert.That(table, Is.Zero);
        Assert.That(text.Split('\n')[0], Does.StartWith("rank").And.Contain("accuracy (cv)").And.Contain("fit s"));
        Assert.That(text, Does.Contain("… 9 more"));

        var (unknown, _, unknownLog) = TrainCli.Run("sweep", "--cache", _cache, "--grid", "tiny");
        Assert.That(unknown, Is.EqualTo(1));
        Assert.That(unknownLog, Does.Contain("Unknown sweep preset 'tiny'").And.Contain("softmax-l2").And.Contain("mlp-small"));
    }

    [Test]
    public void EvaluateRefusesAHeadOfAnotherCacheUnlessTold()
    {
        var head = _temp.File("for-evaluate.onnx");
        Assert.That(TrainCli.Run("train", "--cache", _cache, "--l2", "1", "--out", head).Code, Is.Zero);
        var foreign = _temp.File("foreign.onnx");
        var imported = HeadOnnxImporter.Load(head);
        HeadOnnxExporter.Save(imported.Head, foreign, new HeadExportOptions { Fingerprint = BackboneFingerprint.Recorded("{\"model_sha256\":\"other\"}", new string('a', 64)) });

        var (code, _, stderr) = TrainCli.Run("evaluate", "--cache", _cache, "--head", foreign);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("aaaaaaaaaaaa").And.Contain("another backbone or preprocessing").And.Contain("--ignore-fingerprint"));

        var (forced, stdout, warning) = TrainCli.Run("evaluate", "--cache", _cache, "--head", foreign, "--ignore-fingerprint", "--split", "train");
        Assert.That(forced, Is.Zero, warning);
        Assert.That(warning, Does.Contain("warning:"));
        Assert.That(stdout, Does.Contain("train ").And.Contain("fingerprint mismatch ignored"));
    }

    [Test]
    public void WarmStartFromAnExportedHeadStartsAtItsOptimum()
    {
        var first = _temp.File("first.onnx");
        var (code, cold, coldLog) = TrainCli.Run("train", "--cache", _cache, "--l2", "2", "--out", first, "--json");
        Assert.That(code, Is.Zero, coldLog);
        var (warmCode, warm, warmLog) = TrainCli.Run("train", "--cache", _cache, "--l2", "2", "--warm-start", first, "--out", _temp.File("second.onnx"), "--json");
        Assert.That(warmCode, Is.Zero, warmLog);
        using var a = JsonDocument.Parse(cold);
        using var b = JsonDocument.Parse(warm);
        int coldIterations = a.RootElement.GetProperty("head").GetProperty("iterations").GetInt32();
        int warmIterations = b.RootElement.GetProperty("head").GetProperty("iterations").GetInt32();
        TestContext.Out.WriteLine($"cold start {coldIterations} iterations, warm start {warmIterations}");
        Assert.That(warmIterations, Is.LessThan(coldIterations));
        Assert.That(b.RootElement.GetProperty("metrics")[1].GetProperty("accuracy").GetDouble(),
            Is.EqualTo(a.RootElement.GetProperty("metrics")[1].GetProperty("accuracy").GetDouble()));

        var (wrongKind, _, wrongKindLog) = TrainCli.Run("train", "--cache", _cache, "--head", "mlp", "--warm-start", first, "--out", _temp.File("x.onnx"));
        Assert.That(wrongKind, Is.EqualTo(1));
        Assert.That(wrongKindLog, Does.Contain("is a softmax-regression head"));
    }

    [Test]
    public void StreamedTrainingUnderASmallBudgetGivesTheInMemoryHead()
    {
        var (a, inMemory, errA) = TrainCli.Run("train", "--cache", _cache, "--l2", "0.5", "--out", _temp.File("a.onnx"), "--json");
        var (b, streamed, errB) = TrainCli.Run("train", "--cache", _cache, "--l2", "0.5", "--out", _temp.File("b.onnx"), "--json", "--memory-budget", "1MiB");
        Assert.That((a, b), Is.EqualTo((0, 0)), errA + errB);
        using var x = JsonDocument.Parse(inMemory);
        using var y = JsonDocument.Parse(streamed);
        Assert.That(x.RootElement.GetProperty("data")[0].GetProperty("streamed").GetBoolean(), Is.False);
        Assert.That(y.RootElement.GetProperty("data")[0].GetProperty("streamed").GetBoolean(), Is.True);
        Assert.That(y.RootElement.GetProperty("data")[0].GetProperty("placement").GetString(), Does.Contain("exceeds the budget of 1 MiB"));
        var wa = HeadOnnxImporter.Load(_temp.File("a.onnx")).Head.Layers[0].Weights;
        var wb = HeadOnnxImporter.Load(_temp.File("b.onnx")).Head.Layers[0].Weights;
        Assert.That(wb, Is.EqualTo(wa), "streaming changes where rows come from, not what is learned");
    }

    [Test]
    public void TheDefaultMlpStartsFromTheSelectedSoftmaxHeadAndBalanceOptionsAreChecked()
    {
        var (code, stdout, stderr) = TrainCli.Run("train", "--cache", _cache, "--head", "mlp", "--epochs", "5", "--out", _temp.File("skip.onnx"));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("mlp [1280 → 1024 relu → 2] + linear skip (softmax C="));
        var head = HeadOnnxImporter.Load(_temp.File("skip.onnx")).Head;
        Assert.That(head.Layers.Select(l => l.OutputCount), Is.EqualTo(new[] { 1024 + 4, 2 }), "the skip path rides in 2·classes hidden units");

        var (sampled, sampledOut, sampledLog) = TrainCli.Run("train", "--cache", _cache, "--balance", "sampling", "--out", _temp.File("s.onnx"));
        Assert.That(sampled, Is.Zero, sampledLog);
        Assert.That(sampledOut, Does.Contain("val "));
        var (both, _, bothLog) = TrainCli.Run("train", "--cache", _cache, "--balance", "sampling", "--class-weight", "balanced", "--out", _temp.File("x.onnx"));
        Assert.That(both, Is.EqualTo(1));
        Assert.That(bothLog, Does.Contain("--balance and --class-weight both set the class balance"));
        var (plainL2, _, plainL2Log) = TrainCli.Run("train", "--cache", _cache, "--head", "mlp", "--skip", "none", "--l2", "0.1", "--out", _temp.File("x.onnx"));
        Assert.That(plainL2, Is.EqualTo(1));
        Assert.That(plainL2Log, Does.Contain("--skip none has none"));
    }

    [Test]
    public void BadRequestsGetOneLineAndTheRightExitCode()
    {
        var (noSplit, _, noSplitLog) = TrainCli.Run("train", "--cache", _cache, "--out", _temp.File("x.onnx"), "--eval-split", "test");
        Assert.That(noSplit, Is.EqualTo(2));
        Assert.That(noSplitLog, Does.Contain("no split named 'test'").And.Contain("'val' (153 rows)"));

        var (misplaced, _, misplacedLog) = TrainCli.Run("train", "--cache", _cache, "--out", _temp.File("x.onnx"), "--hidden", "64");
        Assert.That(misplaced, Is.EqualTo(1));
        Assert.That(misplacedLog, Does.Contain("--hidden applies to --head mlp"));

        var (noCache, _, noCacheLog) = TrainCli.Run("train", "--cache", _temp.File("missing"), "--out", _temp.File("x.onnx"));
        Assert.That(noCache, Is.EqualTo(2));
        Assert.That(noCacheLog, Does.Contain("onnxtransfer extract"));

        var (badL2, _, badL2Log) = TrainCli.Run("train", "--cache", _cache, "--out", _temp.File("x.onnx"), "--l2", "-1");
        Assert.That(badL2, Is.EqualTo(1));
        Assert.That(badL2Log, Does.Contain("--l2 must be auto or a positive number"));

        var (badDropout, _, badDropoutLog) = TrainCli.Run("train", "--cache", _cache, "--head", "mlp", "--out", _temp.File("x.onnx"), "--dropout", "1.5");
        Assert.That(badDropout, Is.EqualTo(1));
        Assert.That(badDropoutLog, Does.Contain("--dropout must be within [0, 1)"));
        Assert.That(File.Exists(_temp.File("x.onnx")), Is.False, "nothing is written when the request is refused");
    }

    [Test]
    public void OutOfRangeOptionsAreUsageErrorsNamingTheOptionAndItsRange()
    {
        // --epochs 0 once printed "(Parameter 'Epochs') Actual value was 0." and --memory-budget 0 exited 2.
        foreach (var (option, value, range) in new[] { ("--epochs", "0", "at least 1"), ("--batch-size", "-1", "at least 1"), ("--lr", "0", "> 0"), ("--dropout", "1", "[0, 1)"), ("--label-smoothing", "-0.1", "[0, 1)") })
        {
            var (code, stdout, stderr) = TrainCli.Run("train", "--cache", _cache, "--head", "mlp", "--out", _temp.File("x.onnx"), option, value);
            Assert.That(code, Is.EqualTo(1), stderr);
            Assert.That(stderr, Does.Contain($"{option} {value} is out of range: {option} must be").And.Contain(range), option);
            Assert.That(stderr, Does.Not.Contain("Parameter").And.Not.Contain("Actual value"), option);
            Assert.That(stdout, Is.Empty);
        }
        var (budget, _, budgetLog) = TrainCli.Run("train", "--cache", _cache, "--out", _temp.File("x.onnx"), "--memory-budget", "0");
        Assert.That(budget, Is.EqualTo(1), budgetLog);
        Assert.That(budgetLog, Does.Contain("--memory-budget: '0' is not a memory budget").And.Contain("at least 1MiB"));
    }

    [Test]
    public void UsageErrorsGoToStderrWithOnePointerToTheHelp()
    {
        // Once the whole help went to stdout (into job logs) after the error.
        var (unknown, unknownOut, unknownLog) = TrainCli.Run("train", "--cache", _cache, "--out", _temp.File("x.onnx"), "--epoch", "3");
        Assert.That(unknown, Is.EqualTo(1));
        Assert.That(unknownOut, Is.Empty);
        Assert.That(unknownLog, Does.Contain("--epoch").And.Contain("Run 'onnxtransfer train --help' for usage."));
        Assert.That(unknownLog, Does.Not.Contain("Options:"));
        var (missing, missingOut, missingLog) = TrainCli.Run("cache", "verify");
        Assert.That((missing, missingOut), Is.EqualTo((1, "")));
        Assert.That(missingLog, Does.Contain("Run 'onnxtransfer cache verify --help' for usage."));
        var (invalid, invalidOut, invalidLog) = TrainCli.Run("train", "--cache", _cache, "--out", _temp.File("x.onnx"), "--epochs", "many");
        Assert.That((invalid, invalidOut), Is.EqualTo((1, "")));
        Assert.That(invalidLog, Does.Contain("many"));
        var (help, helpOut, helpLog) = TrainCli.Run("train", "--help");
        Assert.That((help, helpLog), Is.EqualTo((0, "")));
        Assert.That(helpOut, Does.Contain("--epochs"));
    }
}

/// <summary>Runs the CLI in this process with stdout and stderr captured (one command at a time).</summary>
internal static class TrainCli
{
    private static readonly object Gate = new();

    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        lock (Gate)
        {
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var (savedOut, savedError) = (Console.Out, Console.Error);
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                int code = Program.Main(args);
                return (code, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(savedOut);
                Console.SetError(savedError);
            }
        }
    }
}
