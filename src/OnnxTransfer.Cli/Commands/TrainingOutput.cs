using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.FewShot;
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
            foreach (var m in Result.EvaluationOverViews is { } tta ? [.. Metrics, tta] : Metrics)
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
        if (Result.OodReport is { } ood)
            foreach (var line in ood.Lines()) Line("ood", line);
        if (Result.FewShot is { } fewShot)
        {
            Line("few-shot", $"'{fewShot.EvaluationSplit}' accuracy by training rows per class, mean ± sd of {fewShot.Points[0].Accuracies.Length} draws:");
            foreach (var p in fewShot.Points) Line("", $"{p.Shots,3} per class  {F(p.Mean)} ± {F(p.StandardDeviation)}");
        }
        if (Export is not null)
            Line("export", $"{HeadPath} (opset {Export.Opset}, {MemoryBudget.Format(new FileInfo(HeadPath!).Length)}; {Export.Decision})");
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
        // A linear skip path rides in 2·classes extra hidden units (LinearSkipFolding): shown as the skip, not as width.
        string? skip = head.Training?.Settings.FirstOrDefault(s => s.Key == "linear_skip").Value;
        int skipUnits = skip is null or "none" ? 0 : 2 * head.ClassCount;
        var layers = string.Join(" → ", new[] { head.InputDimension.ToString(Invariant) }
            .Concat(head.Layers.Select(l => l.Activation == Activation.Identity ? l.OutputCount.ToString(Invariant) : $"{l.OutputCount - skipUnits} {l.Activation.ToString().ToLowerInvariant()}")));
        parts.Add($"{head.Kind} [{layers}]{(skipUnits > 0 ? $" + linear skip ({skip})" : "")}, {pre}");
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
        var training = Head.Training;
        var optimization = training?.Optimization;
        var history = training?.History;
        var head = new SummaryHead(HeadPath, Head.Kind, Head.Labels, Head.InputDimension, Head.Preprocessing.Kind.ToString(),
            Head.Layers.Select(l => new SummaryLayer(l.InputCount, l.OutputCount, l.Activation.ToString().ToLowerInvariant())).ToArray(),
            training?.Settings, training?.TrainingRows, training is null ? null : Math.Round(training.Seconds, 4),
            optimization?.Iterations, optimization?.Converged, optimization?.StopReason, optimization is null ? null : new Finite(optimization.GradientMaxNorm),
            history?.Epochs.Count, history?.BestEpoch, history?.StoppedEarly, history?.ValidationRows);
        var selection = Sweep is not { } sweep ? null : new SummarySelection(sweep.Validation, sweep.Metric.ToString(), sweep.Best.Name, new(sweep.Seconds),
            Ranked(sweep).Select(r => new SummaryCandidate(r.Rank, r.Point.Name, r.Point.C is double c ? new Finite(c) : null, new(r.Point.MeanScore),
                new(r.Point.ScoreStandardDeviation), new(r.Point.MeanAccuracy), new(r.Point.MeanLogLoss), new(r.Point.MeanIterations), r.Point.AllConverged,
                new(r.Point.MeanFitSeconds))).ToArray());
        var summary = new SummaryJson(
            Command,
            new SummaryCache(Dataset.Root, Dataset.RowCount, Dataset.Dimension, Dataset.Fingerprint?.Sha256, Dataset.Splits.ToDictionary(s => s, Dataset.RowsIn)),
            Plan?.TrainName, Plan is null ? null : new OptionalText(Plan.Evaluation),
            Result.Placements.Select(p => new SummaryData(p.Split, p.Placement.StartsWith("streamed", StringComparison.Ordinal), p.Placement)).ToArray(),
            head, selection, Metrics.Select(SummaryMetrics.Of).ToArray(),
            training?.Calibration is { } calibration ? new SummaryCalibration(calibration, EvaluationBeforeCalibration, Metrics.Count > 0 ? Metrics[^1] : null) : null,
            Result.OodReport is { } ood ? SummaryOod.Of(ood) : null,
            Export is null ? null : new SummaryExport(HeadPath, Export.Opset ?? 0, Export.StandardizationFolded, Export.Decision),
            ReportHtml is null ? null : new SummaryReport(ReportHtml, ReportJson),
            Notes, Math.Round(Seconds, 3), Result.FewShot is { } curve ? FewShotSummary(curve) : null,
            Result.EvaluationOverViews is { } tta ? SummaryMetrics.Of(tta) : null);
        return JsonSerializer.Serialize(summary, TrainingSummaryJsonContext.Relaxed.SummaryJson);
    }

    private static SummaryFewShot FewShotSummary(FewShotCurveResult curve) => new(
        curve.HeadKind, curve.EvaluationSplit, curve.EvaluationRows, curve.Points[0].Accuracies.Length, curve.Seed,
        curve.Points.Select(p => new SummaryFewShotPoint(p.Shots, curve.Fits.First(f => f.Shots == p.Shots).Rows.Length, new(p.Mean), new(p.StandardDeviation),
            p.Accuracies.Select(a => new Finite(a)).ToArray())).ToArray());

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
