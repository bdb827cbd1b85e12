using System.Globalization;
using System.Text.Json;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Reports;

/// <summary>The report as JSON: the report mapped onto <see cref="ReportDocument"/>, written by the source-generated serializer.</summary>
internal static class ReportJson
{
    public static void Write(TrainingReport report, Stream stream) => JsonSerializer.Serialize(stream, new ReportDocument(
        TrainingReport.JsonFormat, TrainingReport.JsonVersion, report.Title, report.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        report.Context, Head(report.Head), report.Metrics.Select(Metrics).ToArray(), report.Sweep is null ? null : Sweep(report.Sweep),
        report.FewShot is null ? null : FewShot(report.FewShot), report.Ood),
        TrainingJsonContext.Default.ReportDocument);

    /// <summary>A finite number, or null (JSON has no NaN; e.g. a validation loss without a validation split).</summary>
    private static double? N(double value) => double.IsFinite(value) ? value : null;

    private static ReportHead Head(Head head) => new(
        head.Kind, head.InputDimension, head.Labels, new ReportPreprocessing(head.Preprocessing.L2Normalize, head.Preprocessing.Standardize),
        head.Layers.Select(l => new ReportLayer(l.InputCount, l.OutputCount, l.Activation.ToString().ToLowerInvariant())).ToArray(),
        head.Training is { } training ? Training(head, training) : null);

    private static ReportTraining Training(Head head, HeadTrainingInfo training)
    {
        var perClass = new Dictionary<string, int>();
        for (int c = 0; c < head.Labels.Count && c < training.TrainingRowsPerClass.Count; c++) perClass[head.Labels[c]] = training.TrainingRowsPerClass[c];
        var optimization = training.Optimization is { } o
            ? new ReportOptimization("L-BFGS", o.Iterations, o.FunctionEvaluations, N(o.Objective), N(o.GradientMaxNorm), N(o.Tolerance), o.Converged, o.StopReason)
            : null;
        var history = training.History is { } h
            ? new ReportHistory(h.BestEpoch, h.StoppedEarly, h.ValidationRows,
                h.Epochs.Select(e => new ReportEpoch(e.Epoch, N(e.TrainLoss), N(e.ValidationLoss), N(e.ValidationAccuracy), N(e.LearningRate))).ToArray())
            : null;
        return new ReportTraining(training.Settings, training.TrainingRows, perClass, N(training.Seconds), optimization, training.Calibration, history);
    }

    private static ReportMetrics Metrics(ClassificationMetrics m) => new(
        m.Split, m.Rows, N(m.Accuracy), N(m.BalancedAccuracy), N(m.MacroF1), N(m.LogLoss), N(m.ExpectedCalibrationError),
        new ReportReliability($"{m.CalibrationBins} equal-width bins of the top-1 probability, (lower, upper]", m.CalibrationBins,
            m.Calibration.Select(b => new ReportBin(N(b.Lower), N(b.Upper), b.Count, N(b.MeanConfidence), N(b.Accuracy))).ToArray()),
        m.PerClass.Select(c => new ReportClass(c.Label, c.Support, c.Predicted, N(c.Precision), N(c.Recall), N(c.F1))).ToArray(),
        new ReportConfusion("true label", "predicted label", m.Labels, m.ConfusionMatrix),
        m.Warnings);

    private static ReportSweep Sweep(SweepResult sweep) => new(
        Name(sweep.Metric), sweep.Validation, sweep.BestIndex, N(sweep.Seconds),
        sweep.Points.Select(p => new ReportPoint(p.Name, p.C is double c ? N(c) : null, p.Mlp?.ToPairs(), p.FoldScores.Select(N).ToArray(),
            N(p.MeanScore), N(p.ScoreStandardDeviation), N(p.MeanAccuracy), N(p.MeanLogLoss), N(p.MeanIterations), p.AllConverged)).ToArray());

    private static ReportFewShot FewShot(FewShotCurveResult curve) => new(
        curve.HeadKind, curve.EvaluationSplit, curve.EvaluationRows, curve.Seed, FewShotCurve.DrawsDescription,
        curve.Points.Select(p => new ReportFewShotPoint(p.Shots, curve.Fits.First(f => f.Shots == p.Shots).Rows.Length, N(p.Mean), N(p.StandardDeviation),
            p.Accuracies.Select(N).ToArray())).ToArray());

    internal static string Name(SelectionMetric metric) => metric switch
    {
        SelectionMetric.BalancedAccuracy => "balanced_accuracy",
        SelectionMetric.MacroF1 => "macro_f1",
        SelectionMetric.LogLoss => "log_loss",
        _ => "accuracy",
    };
}
