using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Reports;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Tests;

public class ReportTests
{
    // Labels with characters that must be escaped in HTML and JSON.
    private static readonly string[] Labels = ["<b>ants&co</b>", "bees \"quoted\"", "wasps'"];

    private static (EmbeddingSet Train, EmbeddingSet Test) Data()
    {
        var problem = new BlobProblem(12, 3, 2.0, 41);
        EmbeddingSet Rename(EmbeddingSet set) => EmbeddingSet.Create(set.Name, set.FeatureArray, set.Dimension,
            Enumerable.Range(0, set.Count).Select(i => Labels[set.LabelIndices[i]]).ToArray());
        return (Rename(problem.Sample(300, 42)), Rename(problem.Sample(150, 43, "test")));
    }

    private static TrainingReport SweepReport()
    {
        var (train, test) = Data();
        var sweep = new SoftmaxRegressionSweep(grid: SoftmaxRegressionSweep.LogGrid(1e-3, 1e2, 6), validation: ValidationScheme.KFold(3)).Fit(train);
        return new TrainingReport
        {
            Title = "Softmax probe <test>",
            Head = sweep.Head,
            Metrics = [ClassificationMetrics.Evaluate(sweep.Head, train), ClassificationMetrics.Evaluate(sweep.Head, test)],
            Sweep = sweep,
            Context = [new("cache", "fingerprint-123"), new("blas", "openblas")],
            CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        };
    }

    private static TrainingReport MlpReport()
    {
        var (train, test) = Data();
        var head = new MlpTrainer(new MlpSettings { HiddenLayers = [16], Epochs = 6, BatchSize = 32, ValidationFraction = 0.2 }).Fit(train);
        return new TrainingReport { Title = "MLP", Head = head, Metrics = [ClassificationMetrics.Evaluate(head, test)] };
    }

    [Test]
    public void JsonCarriesMetricsSweepAndTrainingAccount()
    {
        var report = SweepReport();
        using var document = JsonDocument.Parse(report.ToJson());
        var root = document.RootElement;
        Assert.That(root.GetProperty("format").GetString(), Is.EqualTo("onnxtransfer-training-report"));
        Assert.That(root.GetProperty("version").GetInt32(), Is.EqualTo(1));
        Assert.That(root.GetProperty("title").GetString(), Is.EqualTo("Softmax probe <test>"));
        Assert.That(root.GetProperty("context").GetProperty("cache").GetString(), Is.EqualTo("fingerprint-123"));

        var head = root.GetProperty("head");
        Assert.That(head.GetProperty("labels").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(report.Head.Labels));
        Assert.That(head.GetProperty("training").GetProperty("optimization").GetProperty("converged").GetBoolean(), Is.True);

        var metrics = root.GetProperty("metrics");
        Assert.That(metrics.GetArrayLength(), Is.EqualTo(2));
        var test = metrics[1];
        var expected = report.Metrics[1];
        Assert.That(test.GetProperty("split").GetString(), Is.EqualTo("test"));
        Assert.That(test.GetProperty("accuracy").GetDouble(), Is.EqualTo(expected.Accuracy));
        Assert.That(test.GetProperty("log_loss").GetDouble(), Is.EqualTo(expected.LogLoss));
        Assert.That(test.GetProperty("expected_calibration_error").GetDouble(), Is.EqualTo(expected.ExpectedCalibrationError));
        Assert.That(test.GetProperty("calibration").GetProperty("bin_count").GetInt32(), Is.EqualTo(15));
        Assert.That(test.GetProperty("calibration").GetProperty("binning").GetString(), Does.Contain("equal-width"));
        var counts = test.GetProperty("confusion_matrix").GetProperty("counts");
        for (int t = 0; t < 3; t++)
            Assert.That(counts[t].EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(expected.ConfusionMatrix[t]));
        Assert.That(test.GetProperty("per_class")[0].GetProperty("label").GetString(), Is.EqualTo(report.Head.Labels[0]));

        var sweep = root.GetProperty("sweep");
        Assert.That(sweep.GetProperty("points").GetArrayLength(), Is.EqualTo(6));
        Assert.That(sweep.GetProperty("best_index").GetInt32(), Is.EqualTo(report.Sweep!.BestIndex));
        Assert.That(sweep.GetProperty("points")[2].GetProperty("fold_scores").GetArrayLength(), Is.EqualTo(3));
    }

    [Test]
    public void JsonWritesNullForMissingValidationValues()
    {
        var (train, _) = Data();
        var head = new MlpTrainer(new MlpSettings { HiddenLayers = [8], Epochs = 2, ValidationFraction = 0 }).Fit(train);
        var report = new TrainingReport { Title = "no validation", Head = head };
        using var document = JsonDocument.Parse(report.ToJson());
        var epoch = document.RootElement.GetProperty("head").GetProperty("training").GetProperty("history").GetProperty("epochs")[0];
        Assert.That(epoch.GetProperty("validation_loss").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(epoch.GetProperty("train_loss").GetDouble(), Is.GreaterThan(0));
        Assert.That(document.RootElement.GetProperty("sweep").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public void HtmlIsSelfContainedWellFormedAndEscaped()
    {
        foreach (var report in new[] { SweepReport(), MlpReport() })
        {
            var html = report.ToHtml();
            Assert.That(html, Does.Not.Contain("http"), "no external reference (inline SVG needs no xmlns in HTML)");
            Assert.That(html, Does.Not.Contain("<script").And.Not.Contain("<link").And.Not.Contain("src=").And.Not.Contain("url("));
            Assert.That(html, Does.Contain("&lt;b&gt;ants&amp;co&lt;/b&gt;"));
            Assert.That(html, Does.Not.Contain("<b>ants"));
            // The page is also well-formed XML, so every SVG is structurally sound.
            var document = XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
            Assert.That(document.Descendants("svg").Count(), Is.GreaterThanOrEqualTo(report.Metrics.Count * 2 + 1));
        }
    }

    [Test]
    public void HtmlShowsSweepCurveConfusionMatricesAndLearningCurves()
    {
        var sweepHtml = SweepReport().ToHtml();
        Assert.That(sweepHtml, Does.Contain("L2 sweep").And.Contain("chosen").And.Contain("class=\"best\""));
        Assert.That(Regex.Matches(sweepHtml, "aria-label=\"confusion matrix").Count, Is.EqualTo(2));
        Assert.That(sweepHtml, Does.Contain("reliability (15 bins)"));
        Assert.That(sweepHtml, Does.Contain("fingerprint-123"));
        var mlpHtml = MlpReport().ToHtml();
        Assert.That(mlpHtml, Does.Contain("loss per epoch").And.Contain("validation accuracy").And.Contain("learning rate"));
        Assert.That(mlpHtml, Does.Contain("the head holds the weights of epoch"));
    }

    [Test]
    public void ChromiumRendersTheReportOffline()
    {
        using var temp = new TempDirectory();
        var report = SweepReport();
        var jsonPath = temp.File("report.json");
        var htmlPath = temp.File("report.html");
        report.Save(jsonPath, htmlPath);
        Assert.That(File.Exists(jsonPath), Is.True);

        var dom = RunChromium("--dump-dom", "file://" + htmlPath);
        Assert.That(dom, Does.Contain("Softmax probe &lt;test&gt;"));
        Assert.That(Regex.Matches(dom, "<svg").Count, Is.EqualTo(Regex.Matches(report.ToHtml(), "<svg").Count));
        var png = temp.File("report.png");
        RunChromium($"--screenshot={png}", "--window-size=1100,2400", "file://" + htmlPath);
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(20_000), "a rendered page, not a blank one");
    }

    private static string RunChromium(params string[] arguments)
    {
        var start = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND" }
                     .Concat(arguments))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium could not be started (tools/setup.sh --browser installs it)");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish in 90 s");
        }
        Assert.That(process.ExitCode, Is.EqualTo(0), error.Result);
        return output.Result;
    }
}
