using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Cli.Commands;

/// <summary>What <c>train</c>, <c>sweep</c> and <c>evaluate</c> did, printed as aligned text or as one JSON object.</summary>
internal sealed class TrainingOutcome
{
    public required string Command { get; init; }

    public required HeadTrainingResult Result { get; init; }

    /// <summary>Where the head came from (evaluate) or went (train/sweep with --out).</summary>
    public string? HeadPath { get; init; }

    public HeadExport? Export { get; private set; }

    public string? ReportHtml { get; private set; }

    public string? ReportJson { get; private set; }

    public List<string> Notes { get; } = [];

    public double Seconds { get; set; }

    private EmbeddingDataset Dataset => Result.Dataset;

    private SplitPlan? Plan => Result.Plan;

    private Head Head => Result.Head;

    private SweepResult? Sweep => Result.Sweep;

    private IReadOnlyList<ClassificationMetrics> Metrics => Result.Metrics;

    private ClassificationMetrics? EvaluationBeforeCalibration => Result.EvaluationBeforeCalibration;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public void Print(bool json)
    {
        if (json) Console.Out.WriteLine(ToJson());
        else Console.Out.Write(ToText());
    }

    /// <summary>Exports the head when there is a path for it (train/sweep --out), then writes the report when asked for.</summary>
    public void Finish(int opset, string? report, string title)
    {
        if (HeadPath is not null) Export = Result.Export(HeadPath, opset);
        if (report is not null) SaveReport(report, title);
    }

    /// <summary>The report (HTML and JSON beside it) for <c>--report</c>.</summary>
    public void SaveReport(string htmlPath, string title)
    {
        ReportJson = Result.SaveReport(htmlPath, title, Command, HeadPath, Export);
        ReportHtml = htmlPath;
    }

    public string ToText()
    {
        var text = new StringBuilder();
        void Line(string key, string value) => text.Append(key.PadRight(11)).AppendLine(value);

        Line("cache", $"{Dataset.Root}: {Dataset.RowCount} rows × {Dataset.Dimension}, splits {Dataset.DescribeSplits()}, " +
                      $"fingerprint {Dataset.Fingerprint?.Short ?? "none"}");
        if (Plan is not null) Line("splits", $"train on '{Plan.TrainName}', evaluate on {(Plan.Evaluation is null ? "none" : $"'{Plan.Evaluation}'")}");
        foreach (var (split, placement) in Result.Placements) Line("data", $"'{split}' {placement}");
        if (Sweep is not null)
        {
            var best = Sweep.Best;
            Line("selection", $"{Sweep.Points.Count} candidate{(Sweep.Points.Count == 1 ? "" : "s")} by {Sweep.Validation}; best {best.Name}: " +
                              $"{Sweep.Metric} {F(best.MeanScore)} ± {F(best.ScoreStandardDeviation)} ({Sweep.Seconds.ToString("F1", Invariant)} s)");
        }
        Line(HeadPath is not null && Command == "evaluate" ? "head" : "fit", DescribeFit(Head));
        if (Metrics.Count > 0)
        {
            Line("metrics", $"{"split",-12} {"rows",6} {"accuracy",9} {"bal.acc",8} {"macro-F1",9} {"log-loss",9} {"ECE",7}");
            foreach (var m in Metrics)
                Line("", $"{m.Split,-12} {m.Rows,6} {F(m.Accuracy),9} {F(m.BalancedAccuracy),8} {F(m.MacroF1),9} {F(m.LogLoss),9} {F(m.ExpectedCalibrationError),7}");
            var last = Metrics[^1];
            Line("confusion", $"'{last.Split}' [true → predicted] " + string.Join("; ",
                last.Labels.Select((label, i) => $"{label}: " + string.Join(" ", last.ConfusionMatrix[i]))));
            foreach (var warning in Metrics.SelectMany(m => m.Warnings)) Line("warning", warning);
        }
        if (Head.Training?.Calibration is { } calibration)
        {
            var line = $"temperature {calibration.Temperature.ToString("G4", Invariant)} fitted on {calibration.HeldOutRows} rows ({calibration.HeldOut}): " +
                       $"ECE {F(calibration.EceBefore)} → {F(calibration.EceAfter)}, log-loss {F(calibration.LogLossBefore)} → {F(calibration.LogLossAfter)}";
            if (EvaluationBeforeCalibration is { } before && Metrics.Count > 0)
                line += $"; '{before.Split}' ECE {F(before.ExpectedCalibrationError)} → {F(Metrics[^1].ExpectedCalibrationError)}, log-loss {F(before.LogLoss)} → {F(Metrics[^1].LogLoss)}";
            Line("calibrated", line);
        }
        if (Export is not null)
            Line("export", $"{HeadPath} (opset {Export.Model.GetOpsetVersion("")}, {MemoryBudget.Format(new FileInfo(HeadPath!).Length)}; {Export.Decision})");
        if (ReportHtml is not null) Line("report", $"{ReportHtml}, {ReportJson}");
        foreach (var note in Notes) Line("note", note);
        Line("time", $"{Seconds.ToString("F2", Invariant)} s");
        return text.ToString();
    }

    /// <summary>"softmax-regression on 'train' (245 rows): C=0.0316 (l2 31.6), 23 iterations, converged, 0.04 s".</summary>
    public static string DescribeFit(Head head)
    {
        var training = head.Training;
        var parts = new List<string>();
        string pre = head.Preprocessing.Kind switch
        {
            PreprocessingKind.None => "raw features",
            PreprocessingKind.Standardize => "standardised",
            PreprocessingKind.L2Normalize => "L2-normalised",
            _ => "L2-normalised + standardised",
        };
        var layers = string.Join(" → ", new[] { head.InputDimension.ToString(Invariant) }
            .Concat(head.Layers.Select(l => l.Activation == Activation.Identity ? l.OutputCount.ToString(Invariant) : $"{l.OutputCount} {l.Activation.ToString().ToLowerInvariant()}")));
        parts.Add($"{head.Kind} [{layers}], {pre}");
        if (training is null) return string.Join(", ", parts);
        parts.Add($"{training.TrainingRows} rows");
        if (training.Settings.FirstOrDefault(s => s.Key == "C") is { Key: not null } c && double.TryParse(c.Value, NumberStyles.Float, Invariant, out var cValue))
            parts.Add($"C={cValue.ToString("G4", Invariant)} (l2 {(1 / cValue).ToString("G4", Invariant)})");
        if (training.Optimization is { } o)
            parts.Add($"{o.Iterations} iterations, {(o.Converged ? "converged" : "NOT converged: " + o.StopReason)} (‖∇f‖∞ {o.GradientMaxNorm.ToString("G2", Invariant)})");
        if (training.History is { } h)
            parts.Add($"{h.Epochs.Count} epochs{(h.StoppedEarly ? " (stopped early)" : "")}, best epoch {h.BestEpoch}" +
                      (h.ValidationRows > 0 ? $" on {h.ValidationRows} held-out training rows" : ""));
        parts.Add($"{training.Seconds.ToString("F2", Invariant)} s");
        return string.Join(", ", parts);
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("command", Command);
            json.WriteStartObject("cache");
            json.WriteString("path", Dataset.Root);
            json.WriteNumber("rows", Dataset.RowCount);
            json.WriteNumber("dimension", Dataset.Dimension);
            if (Dataset.Fingerprint is { } fingerprint) json.WriteString("fingerprint_sha256", fingerprint.Sha256);
            else json.WriteNull("fingerprint_sha256");
            json.WriteStartObject("splits");
            foreach (var split in Dataset.Splits) json.WriteNumber(split, Dataset.RowsIn(split));
            json.WriteEndObject();
            json.WriteEndObject();
            if (Plan is not null)
            {
                json.WriteString("train_split", Plan.TrainName);
                if (Plan.Evaluation is null) json.WriteNull("eval_split");
                else json.WriteString("eval_split", Plan.Evaluation);
            }
            json.WriteStartArray("data");
            foreach (var (split, placement) in Result.Placements)
            {
                json.WriteStartObject();
                json.WriteString("split", split);
                json.WriteBoolean("streamed", placement.StartsWith("streamed", StringComparison.Ordinal));
                json.WriteString("placement", placement);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            WriteHead(json);
            if (Sweep is not null) WriteSweep(json, Sweep);
            json.WriteStartArray("metrics");
            foreach (var m in Metrics) WriteMetrics(json, m);
            json.WriteEndArray();
            if (Head.Training?.Calibration is { } calibration)
            {
                json.WriteStartObject("calibration");
                calibration.WriteFields(json);
                if (EvaluationBeforeCalibration is { } before && Metrics.Count > 0)
                {
                    json.WriteString("eval_split", before.Split);
                    MetricsJson.Number(json, "eval_ece_before", before.ExpectedCalibrationError);
                    MetricsJson.Number(json, "eval_ece_after", Metrics[^1].ExpectedCalibrationError);
                    MetricsJson.Number(json, "eval_log_loss_before", before.LogLoss);
                    MetricsJson.Number(json, "eval_log_loss_after", Metrics[^1].LogLoss);
                }
                json.WriteEndObject();
            }
            if (Export is not null)
            {
                json.WriteStartObject("export");
                json.WriteString("path", HeadPath);
                json.WriteNumber("opset", Export.Model.GetOpsetVersion("") ?? 0);
                json.WriteBoolean("standardization_folded", Export.StandardizationFolded);
                json.WriteString("decision", Export.Decision);
                json.WriteEndObject();
            }
            if (ReportHtml is not null)
            {
                json.WriteStartObject("report");
                json.WriteString("html", ReportHtml);
                json.WriteString("json", ReportJson);
                json.WriteEndObject();
            }
            json.WriteStartArray("notes");
            foreach (var note in Notes) json.WriteStringValue(note);
            json.WriteEndArray();
            json.WriteNumber("seconds", Math.Round(Seconds, 3));
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private void WriteHead(Utf8JsonWriter json)
    {
        json.WriteStartObject("head");
        if (HeadPath is not null) json.WriteString("path", HeadPath);
        json.WriteString("kind", Head.Kind);
        json.WriteStartArray("labels");
        foreach (var label in Head.Labels) json.WriteStringValue(label);
        json.WriteEndArray();
        json.WriteNumber("input_dimension", Head.InputDimension);
        json.WriteString("preprocessing", Head.Preprocessing.Kind.ToString());
        json.WriteStartArray("layers");
        foreach (var layer in Head.Layers)
        {
            json.WriteStartObject();
            json.WriteNumber("inputs", layer.InputCount);
            json.WriteNumber("outputs", layer.OutputCount);
            json.WriteString("activation", layer.Activation.ToString().ToLowerInvariant());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (Head.Training is { } training)
        {
            json.WriteStartObject("settings");
            foreach (var (key, value) in training.Settings) json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteNumber("training_rows", training.TrainingRows);
            json.WriteNumber("fit_seconds", Math.Round(training.Seconds, 4));
            if (training.Optimization is { } o)
            {
                json.WriteNumber("iterations", o.Iterations);
                json.WriteBoolean("converged", o.Converged);
                json.WriteString("stop_reason", o.StopReason);
                MetricsJson.Number(json, "gradient_max_norm", o.GradientMaxNorm);
            }
            if (training.History is { } h)
            {
                json.WriteNumber("epochs", h.Epochs.Count);
                json.WriteNumber("best_epoch", h.BestEpoch);
                json.WriteBoolean("stopped_early", h.StoppedEarly);
                json.WriteNumber("early_stopping_rows", h.ValidationRows);
            }
        }
        json.WriteEndObject();
    }

    private static void WriteSweep(Utf8JsonWriter json, SweepResult sweep)
    {
        json.WriteStartObject("selection");
        json.WriteString("validation", sweep.Validation);
        json.WriteString("metric", sweep.Metric.ToString());
        json.WriteString("best", sweep.Best.Name);
        MetricsJson.Number(json, "seconds", sweep.Seconds);
        json.WriteStartArray("candidates");
        foreach (var (point, rank) in Ranked(sweep))
        {
            json.WriteStartObject();
            json.WriteNumber("rank", rank);
            json.WriteString("name", point.Name);
            if (point.C is double c) MetricsJson.Number(json, "C", c);
            MetricsJson.Number(json, "mean_score", point.MeanScore);
            MetricsJson.Number(json, "score_std", point.ScoreStandardDeviation);
            MetricsJson.Number(json, "mean_accuracy", point.MeanAccuracy);
            MetricsJson.Number(json, "mean_log_loss", point.MeanLogLoss);
            MetricsJson.Number(json, "mean_iterations", point.MeanIterations);
            json.WriteBoolean("converged", point.AllConverged);
            MetricsJson.Number(json, "mean_fit_seconds", point.MeanFitSeconds);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteMetrics(Utf8JsonWriter json, ClassificationMetrics m)
    {
        json.WriteStartObject();
        MetricsJson.WriteSummary(json, m);
        json.WriteStartArray("per_class");
        foreach (var c in m.PerClass)
        {
            json.WriteStartObject();
            json.WriteString("label", c.Label);
            json.WriteNumber("support", c.Support);
            MetricsJson.Number(json, "precision", c.Precision);
            MetricsJson.Number(json, "recall", c.Recall);
            MetricsJson.Number(json, "f1", c.F1);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("confusion_matrix");
        foreach (var row in m.ConfusionMatrix)
        {
            json.WriteStartArray();
            foreach (var count in row) json.WriteNumberValue(count);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteStartArray("warnings");
        foreach (var warning in m.Warnings) json.WriteStringValue(warning);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Candidates best first (by mean score; log-loss ascending), with 1-based ranks.</summary>
    public static IEnumerable<(SweepPoint Point, int Rank)> Ranked(SweepResult sweep)
    {
        var ordered = sweep.Metric == SelectionMetric.LogLoss
            ? sweep.Points.OrderBy(p => p.MeanScore)
            : sweep.Points.OrderByDescending(p => p.MeanScore);
        // The chosen candidate first among equals (ties go to the stronger regularisation / earlier candidate).
        return ordered.ThenBy(p => ReferenceEquals(p, sweep.Best) ? 0 : 1).Select((p, i) => (p, i + 1));
    }


    internal static string F(double value) => double.IsFinite(value) ? value.ToString("F4", Invariant) : "-";
}
