using System.Globalization;
using System.Text;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Reports;

/// <summary>
/// The report as one self-contained HTML page: inline CSS and SVG only, no script and no external resource, so it
/// reads the same offline, in a mail attachment or in a CI artefact.
/// </summary>
internal static class HtmlReportWriter
{
    internal const string Style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#1d232a;padding:0 16px}
        h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d8dde3;padding-bottom:4px}
        h3{font-size:15px;margin-top:20px}.muted{color:#5b6673}
        table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #e5e8ec;text-align:right}
        th:first-child,td:first-child{text-align:left}th{background:#f3f5f7}tr.best td{background:#fff5d6;font-weight:600}
        .charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.warn{color:#8a4b00}
        svg text{font:11px system-ui,sans-serif;fill:#333}svg .chart-title{font-size:13px;font-weight:600}svg .label{font-size:12px}
        svg .plot{fill:#fbfcfd;stroke:#c6ccd3}svg .grid{stroke:#e6e9ed}svg .axis{stroke:#888}svg .mark{stroke:#c03;stroke-dasharray:4 3}
        svg .bar{fill:#4a7fb5}svg .cell{stroke:#fff}svg .count{font-size:11px}svg .count.light{fill:#fff}
        """;

    public static string Write(TrainingReport report)
    {
        var html = new StringBuilder();
        var head = report.Head;
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width\"/>");
        html.Append("<title>").Append(Html.Escape(report.Title)).Append("</title><style>").Append(Style).Append("</style></head><body>");
        html.Append("<h1>").Append(Html.Escape(report.Title)).Append("</h1>");
        html.Append("<p class=\"muted\">").Append(Html.Escape(report.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'zzz", CultureInfo.InvariantCulture)))
            .Append(" · ").Append(Html.Escape(Describe(head))).Append("</p>");

        WriteSummary(html, report);
        if (head.Training?.Calibration is { } calibration) WriteCalibration(html, calibration, report.MetricsBeforeCalibration);
        foreach (var metrics in report.Metrics) WriteSplit(html, metrics);
        if (report.Ood is { } ood) WriteOod(html, ood);
        if (report.Sweep is { } sweep) WriteSweep(html, sweep);
        if (report.FewShot is { } fewShot) WriteFewShot(html, fewShot);
        if (head.Training?.History is { } history) WriteLearningCurves(html, history);
        WriteTraining(html, head);
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string Describe(Head head)
    {
        var shape = string.Join(" → ", new[] { head.InputDimension.ToString(CultureInfo.InvariantCulture) }
            .Concat(head.Layers.Select(l => l.OutputCount.ToString(CultureInfo.InvariantCulture) +
                (l.Activation == Activation.Identity ? "" : " " + l.Activation.ToString().ToLowerInvariant()))));
        // A k-NN head's dense layer gives cosines to its stored rows; its vote, not a softmax, turns them into probabilities.
        string output = head.Vote is { } vote ? $"vote of the k = {vote.K} most similar rows, weights softmax({vote.Scale.ToString("0.###", CultureInfo.InvariantCulture)}·cosine)" : "softmax";
        return $"{head.Kind} head, {shape} → {output} over {head.ClassCount} labels";
    }

    private static void WriteSummary(StringBuilder html, TrainingReport report)
    {
        if (report.Metrics.Count > 0)
        {
            html.Append("<h2>Summary</h2><table><tr><th>split</th><th>rows</th><th>accuracy</th><th>balanced accuracy</th><th>macro-F1</th><th>log-loss</th><th>ECE</th></tr>");
            foreach (var m in report.Metrics)
            {
                html.Append("<tr><td>").Append(Html.Escape(m.Split)).Append("</td>")
                    .Append(Cell(m.Rows)).Append(Cell(m.Accuracy)).Append(Cell(m.BalancedAccuracy)).Append(Cell(m.MacroF1))
                    .Append(Cell(m.LogLoss)).Append(Cell(m.ExpectedCalibrationError)).Append("</tr>");
            }
            html.Append("</table><p class=\"muted\">Balanced accuracy: mean recall over classes present in the split. Macro-F1: mean F1 over classes ")
                .Append("present in truth or predictions. Log-loss: mean −ln max(p, 1e-15). ECE: equal-width bins of the top-1 probability.</p>");
        }
        var warnings = report.Metrics.SelectMany(m => m.Warnings).ToList();
        if (report.Head.Training?.Optimization is { Converged: false } o)
            warnings.Add($"L-BFGS did not reach its tolerance: {o.StopReason} (‖∇f‖∞ = {Short(o.GradientMaxNorm)}, tolerance {Short(o.Tolerance)}).");
        if (report.Sweep is { } sweep && sweep.Points.Any(p => !p.AllConverged))
            warnings.Add("Some sweep fits stopped before their gradient tolerance (see the sweep table).");
        foreach (var warning in warnings) html.Append("<p class=\"warn\">⚠ ").Append(Html.Escape(warning)).Append("</p>");
        if (report.Context.Count > 0)
        {
            html.Append("<table>");
            foreach (var (name, value) in report.Context)
                html.Append("<tr><td>").Append(Html.Escape(name)).Append("</td><td style=\"text-align:left\">").Append(Html.Escape(value)).Append("</td></tr>");
            html.Append("</table>");
        }
    }

    private static void WriteCalibration(StringBuilder html, Calibration.CalibrationReport c, IReadOnlyList<ClassificationMetrics> before)
    {
        html.Append("<h2>Calibration</h2><p>").Append(Html.Escape(
            $"Temperature {Short(c.Temperature)} fitted on {c.HeldOutRows} held-out rows ({c.HeldOut}) and folded into the last layer: " +
            "probabilities are softmax(logits / T); predictions are unchanged. The reliability diagrams of the splits below are the calibrated head's."))
            .Append("</p><table><tr><th>held-out training rows</th><th>before</th><th>after</th></tr>")
            .Append("<tr><td>ECE</td>").Append(Cell(c.EceBefore)).Append(Cell(c.EceAfter)).Append("</tr>")
            .Append("<tr><td>log-loss</td>").Append(Cell(c.LogLossBefore)).Append(Cell(c.LogLossAfter)).Append("</tr></table>");
        if (before.Count == 0) return;
        html.Append("<p class=\"muted\">Before calibration:</p><div class=\"charts\">");
        foreach (var m in before) html.Append(SvgCharts.Reliability(m));
        html.Append("</div>");
    }

    /// <summary>The OOD score's threshold and AUROCs, one line each (<see cref="global::OnnxTransfer.Training.Ood.OodReport.Lines"/>).</summary>
    private static void WriteOod(StringBuilder html, global::OnnxTransfer.Training.Ood.OodReport ood)
    {
        html.Append("<h2>Out-of-distribution score</h2><ul>");
        foreach (var line in ood.Lines()) html.Append("<li>").Append(Html.Escape(line)).Append("</li>");
        html.Append("</ul>");
    }

    private static void WriteSplit(StringBuilder html, ClassificationMetrics m)
    {
        html.Append("<h2>Split ‘").Append(Html.Escape(m.Split)).Append("’</h2>");
        html.Append("<table><tr><th>label</th><th>support</th><th>predicted</th><th>precision</th><th>recall</th><th>F1</th></tr>");
        foreach (var c in m.PerClass)
        {
            html.Append("<tr><td>").Append(Html.Escape(c.Label)).Append("</td>").Append(Cell(c.Support)).Append(Cell(c.Predicted))
                .Append(Cell(c.Precision)).Append(Cell(c.Recall)).Append(Cell(c.F1)).Append("</tr>");
        }
        html.Append("</table><div class=\"charts\">").Append(SvgCharts.ConfusionMatrix(m)).Append(SvgCharts.Reliability(m)).Append("</div>");
    }

    private static void WriteSweep(StringBuilder html, SweepResult sweep)
    {
        string metric = ReportJson.Name(sweep.Metric).Replace('_', ' ');
        html.Append("<h2>Sweep</h2><p>").Append(Html.Escape($"Selected by mean {metric} under {sweep.Validation}; the best candidate ({sweep.Best.Name}) was refitted on the whole training split. "))
            .Append(Html.Escape($"{sweep.Points.Count} candidates, {sweep.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s in all.")).Append("</p>");
        bool isL2 = sweep.Points.All(p => p.C is not null);
        var series = new List<ChartSeries>();
        if (isL2)
        {
            var order = Enumerable.Range(0, sweep.Points.Count).OrderBy(i => sweep.Points[i].C!.Value).ToArray();
            series.Add(new ChartSeries("mean " + metric, "#2166ac",
                order.Select(i => (Math.Log10(sweep.Points[i].C!.Value), sweep.Points[i].MeanScore)).ToArray(),
                order.Select(i => sweep.Points[i].ScoreStandardDeviation).ToArray()));
            html.Append(SvgCharts.LineChart("L2 sweep: held-out " + metric + " (± fold std)", "C (log scale; smaller = stronger L2)", metric, series,
                x => "1e" + x.ToString("0", CultureInfo.InvariantCulture), Math.Log10(sweep.Best.C!.Value), "chosen", integerXTicks: true));
        }
        else
        {
            series.Add(new ChartSeries("mean " + metric, "#2166ac",
                sweep.Points.Select((p, i) => ((double)(i + 1), p.MeanScore)).ToArray(),
                sweep.Points.Select(p => p.ScoreStandardDeviation).ToArray()));
            html.Append(SvgCharts.LineChart("MLP sweep: held-out " + metric + " by candidate (± fold std)", "candidate #", metric, series,
                x => x.ToString("0", CultureInfo.InvariantCulture), sweep.BestIndex + 1, "chosen", integerXTicks: true));
        }
        html.Append("<table><tr><th>#</th><th>candidate</th><th>mean ").Append(Html.Escape(metric)).Append("</th><th>std</th><th>mean accuracy</th><th>mean log-loss</th><th>")
            .Append(isL2 ? "mean iterations" : "mean epochs").Append("</th>").Append(isL2 ? "<th>converged</th>" : "").Append("</tr>");
        for (int i = 0; i < sweep.Points.Count; i++)
        {
            var p = sweep.Points[i];
            html.Append(i == sweep.BestIndex ? "<tr class=\"best\">" : "<tr>").Append(Cell(i + 1)).Append("<td style=\"text-align:left\">").Append(Html.Escape(p.Name)).Append("</td>")
                .Append(Cell(p.MeanScore)).Append(Cell(p.ScoreStandardDeviation)).Append(Cell(p.MeanAccuracy)).Append(Cell(p.MeanLogLoss))
                .Append(Cell(p.MeanIterations));
            if (isL2) html.Append("<td>").Append(p.AllConverged ? "yes" : "no").Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</table>");
    }

    private static void WriteFewShot(StringBuilder html, FewShot.FewShotCurveResult curve)
    {
        int draws = curve.Points[0].Accuracies.Length;
        html.Append("<h2>Few-shot curve</h2><p>").Append(Html.Escape(
            $"Accuracy on '{curve.EvaluationSplit}' ({curve.EvaluationRows} rows) of the {curve.HeadKind} head fitted on n training rows per class, " +
            $"mean ± standard deviation over {draws} seeded draws (seed {curve.Seed}); {FewShot.FewShotCurve.DrawsDescription}.")).Append("</p>");
        var series = new ChartSeries($"{curve.HeadKind} accuracy", "#2166ac",
            curve.Points.Select(p => (Math.Log2(p.Shots), p.Mean)).ToArray(), curve.Points.Select(p => double.IsFinite(p.StandardDeviation) ? p.StandardDeviation : 0).ToArray());
        html.Append(SvgCharts.LineChart("few-shot accuracy (± sd over draws)", "examples per class (log scale)", "accuracy", [series],
            x => Math.Pow(2, x).ToString("0", CultureInfo.InvariantCulture), integerXTicks: true));
        html.Append("<table><tr><th>per class</th><th>training rows</th><th>mean accuracy</th><th>sd</th><th>per draw</th></tr>");
        foreach (var p in curve.Points)
        {
            int rows = curve.Fits.First(f => f.Shots == p.Shots).Rows.Length;
            html.Append("<tr>").Append(Cell(p.Shots)).Append(Cell(rows)).Append(Cell(p.Mean)).Append(Cell(p.StandardDeviation))
                .Append("<td>").Append(Html.Escape(string.Join(" ", p.Accuracies.Select(Short)))).Append("</td></tr>");
        }
        html.Append("</table>");
    }

    private static void WriteLearningCurves(StringBuilder html, MlpTrainingHistory history)
    {
        var epochs = history.Epochs;
        html.Append("<h2>Learning curves</h2><p>").Append(Html.Escape(
            $"{epochs.Count} epochs{(history.StoppedEarly ? " (stopped early)" : "")}; the head holds the weights of epoch {history.BestEpoch}" +
            (history.ValidationRows > 0 ? $" (validation: {history.ValidationRows} rows)." : "."))).Append("</p><div class=\"charts\">");
        var loss = new List<ChartSeries> { new("train loss", "#2166ac", epochs.Select(e => ((double)e.Epoch, e.TrainLoss)).ToArray()) };
        if (history.ValidationRows > 0)
            loss.Add(new ChartSeries("validation loss", "#d6604d", epochs.Select(e => ((double)e.Epoch, e.ValidationLoss)).ToArray(), Dashed: true));
        html.Append(SvgCharts.LineChart("loss per epoch", "epoch", "cross-entropy", loss, x => x.ToString("0", CultureInfo.InvariantCulture),
            history.BestEpoch, "kept", integerXTicks: true, width: 520));
        if (history.ValidationRows > 0)
        {
            html.Append(SvgCharts.LineChart("validation accuracy", "epoch", "accuracy",
                [new ChartSeries("validation accuracy", "#1b7837", epochs.Select(e => ((double)e.Epoch, e.ValidationAccuracy)).ToArray())],
                x => x.ToString("0", CultureInfo.InvariantCulture), history.BestEpoch, "kept", integerXTicks: true, width: 420));
        }
        html.Append(SvgCharts.LineChart("learning rate", "epoch", "learning rate",
            [new ChartSeries("learning rate", "#762a83", epochs.Select(e => ((double)e.Epoch, e.LearningRate)).ToArray())],
            x => x.ToString("0", CultureInfo.InvariantCulture), integerXTicks: true, width: 420));
        html.Append("</div>");
    }

    private static void WriteTraining(StringBuilder html, Head head)
    {
        html.Append("<h2>Head and training</h2><table><tr><th>labels</th><td style=\"text-align:left\">")
            .Append(Html.Escape(string.Join(", ", head.Labels))).Append("</td></tr><tr><th>preprocessing</th><td style=\"text-align:left\">")
            .Append(Html.Escape(head.Preprocessing.Kind.ToString())).Append("</td></tr>");
        if (head.Training is { } training)
        {
            html.Append("<tr><th>training rows</th><td style=\"text-align:left\">").Append(training.TrainingRows)
                .Append(" (").Append(Html.Escape(string.Join(", ", head.Labels.Select((l, i) => $"{l}: {training.TrainingRowsPerClass[i]}")))).Append(")</td></tr>");
            html.Append("<tr><th>fit time</th><td style=\"text-align:left\">").Append(training.Seconds.ToString("0.00", CultureInfo.InvariantCulture)).Append(" s</td></tr>");
            if (training.Optimization is { } o)
            {
                html.Append("<tr><th>L-BFGS</th><td style=\"text-align:left\">").Append(Html.Escape(
                    $"{o.Iterations} iterations, {o.FunctionEvaluations} evaluations, objective {Short(o.Objective)}, ‖∇f‖∞ {Short(o.GradientMaxNorm)} " +
                    $"(tolerance {Short(o.Tolerance)}): {(o.Converged ? "converged" : "NOT converged")} — {o.StopReason}")).Append("</td></tr>");
            }
            foreach (var (name, value) in training.Settings)
                html.Append("<tr><th>").Append(Html.Escape(name)).Append("</th><td style=\"text-align:left\">").Append(Html.Escape(value)).Append("</td></tr>");
        }
        html.Append("</table>");
    }

    private static string Cell(double value) => "<td>" + (double.IsFinite(value) ? Html.Escape(Short(value)) : "–") + "</td>";

    private static string Cell(int value) => "<td>" + value.ToString(CultureInfo.InvariantCulture) + "</td>";

    private static string Short(double value) =>
        value != 0 && Math.Abs(value) < 1e-3 ? value.ToString("0.##e+0", CultureInfo.InvariantCulture) : value.ToString("0.####", CultureInfo.InvariantCulture);
}
