using System.Globalization;
using System.Text.Json;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Reports;

/// <summary>
/// The report as JSON through <see cref="Utf8JsonWriter"/> (no reflection, AOT-safe). Names are snake_case; numbers
/// that are not finite (e.g. a validation loss without a validation split) are written as null.
/// </summary>
internal static class ReportJsonWriter
{
    public static void Write(TrainingReport report, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", TrainingReport.JsonFormat);
        json.WriteNumber("version", TrainingReport.JsonVersion);
        json.WriteString("title", report.Title);
        json.WriteString("created_at", report.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        json.WriteStartObject("context");
        foreach (var (name, value) in report.Context) json.WriteString(name, value);
        json.WriteEndObject();
        WriteHead(json, report.Head);
        json.WriteStartArray("metrics");
        foreach (var metrics in report.Metrics) WriteMetrics(json, metrics);
        json.WriteEndArray();
        if (report.Sweep is null) json.WriteNull("sweep");
        else WriteSweep(json, report.Sweep);
        json.WriteEndObject();
    }

    private static void WriteHead(Utf8JsonWriter json, Head head)
    {
        json.WriteStartObject("head");
        json.WriteString("kind", head.Kind);
        json.WriteNumber("input_dimension", head.InputDimension);
        WriteStrings(json, "labels", head.Labels);
        json.WriteStartObject("preprocessing");
        json.WriteBoolean("l2_normalize", head.Preprocessing.L2Normalize);
        json.WriteBoolean("standardize", head.Preprocessing.Standardize);
        json.WriteEndObject();
        json.WriteStartArray("layers");
        foreach (var layer in head.Layers)
        {
            json.WriteStartObject();
            json.WriteNumber("inputs", layer.InputCount);
            json.WriteNumber("outputs", layer.OutputCount);
            json.WriteString("activation", layer.Activation.ToString().ToLowerInvariant());
            json.WriteEndObject();
        }
        json.WriteEndArray();

        var training = head.Training;
        if (training is null)
        {
            json.WriteNull("training");
        }
        else
        {
            json.WriteStartObject("training");
            json.WriteStartObject("settings");
            foreach (var (name, value) in training.Settings) json.WriteString(name, value);
            json.WriteEndObject();
            json.WriteNumber("training_rows", training.TrainingRows);
            json.WriteStartObject("training_rows_per_class");
            for (int c = 0; c < head.Labels.Count && c < training.TrainingRowsPerClass.Count; c++)
                json.WriteNumber(head.Labels[c], training.TrainingRowsPerClass[c]);
            json.WriteEndObject();
            MetricsJson.Number(json, "seconds", training.Seconds);
            if (training.Optimization is { } o)
            {
                json.WriteStartObject("optimization");
                json.WriteString("method", "L-BFGS");
                json.WriteNumber("iterations", o.Iterations);
                json.WriteNumber("function_evaluations", o.FunctionEvaluations);
                MetricsJson.Number(json, "objective", o.Objective);
                MetricsJson.Number(json, "gradient_max_norm", o.GradientMaxNorm);
                MetricsJson.Number(json, "tolerance", o.Tolerance);
                json.WriteBoolean("converged", o.Converged);
                json.WriteString("stop_reason", o.StopReason);
                json.WriteEndObject();
            }
            if (training.Calibration is { } calibration)
            {
                var c = calibration;
                json.WriteStartObject("calibration");
                c.WriteFields(json);
                json.WriteEndObject();
            }
            if (training.History is { } h)
            {
                json.WriteStartObject("history");
                json.WriteNumber("best_epoch", h.BestEpoch);
                json.WriteBoolean("stopped_early", h.StoppedEarly);
                json.WriteNumber("validation_rows", h.ValidationRows);
                json.WriteStartArray("epochs");
                foreach (var e in h.Epochs)
                {
                    json.WriteStartObject();
                    json.WriteNumber("epoch", e.Epoch);
                    MetricsJson.Number(json, "train_loss", e.TrainLoss);
                    MetricsJson.Number(json, "validation_loss", e.ValidationLoss);
                    MetricsJson.Number(json, "validation_accuracy", e.ValidationAccuracy);
                    MetricsJson.Number(json, "learning_rate", e.LearningRate);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteMetrics(Utf8JsonWriter json, ClassificationMetrics m)
    {
        json.WriteStartObject();
        MetricsJson.WriteSummary(json, m);
        json.WriteStartObject("calibration");
        json.WriteString("binning", $"{m.CalibrationBins} equal-width bins of the top-1 probability, (lower, upper]");
        json.WriteNumber("bin_count", m.CalibrationBins);
        json.WriteStartArray("bins");
        foreach (var bin in m.Calibration)
        {
            json.WriteStartObject();
            MetricsJson.Number(json, "lower", bin.Lower);
            MetricsJson.Number(json, "upper", bin.Upper);
            json.WriteNumber("count", bin.Count);
            MetricsJson.Number(json, "mean_confidence", bin.MeanConfidence);
            MetricsJson.Number(json, "accuracy", bin.Accuracy);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartArray("per_class");
        foreach (var c in m.PerClass)
        {
            json.WriteStartObject();
            json.WriteString("label", c.Label);
            json.WriteNumber("support", c.Support);
            json.WriteNumber("predicted", c.Predicted);
            MetricsJson.Number(json, "precision", c.Precision);
            MetricsJson.Number(json, "recall", c.Recall);
            MetricsJson.Number(json, "f1", c.F1);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartObject("confusion_matrix");
        json.WriteString("rows", "true label");
        json.WriteString("columns", "predicted label");
        WriteStrings(json, "labels", m.Labels);
        json.WriteStartArray("counts");
        foreach (var row in m.ConfusionMatrix)
        {
            json.WriteStartArray();
            foreach (var count in row) json.WriteNumberValue(count);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        WriteStrings(json, "warnings", m.Warnings);
        json.WriteEndObject();
    }

    private static void WriteSweep(Utf8JsonWriter json, SweepResult sweep)
    {
        json.WriteStartObject("sweep");
        json.WriteString("metric", Name(sweep.Metric));
        json.WriteString("validation", sweep.Validation);
        json.WriteNumber("best_index", sweep.BestIndex);
        MetricsJson.Number(json, "seconds", sweep.Seconds);
        json.WriteStartArray("points");
        foreach (var p in sweep.Points)
        {
            json.WriteStartObject();
            json.WriteString("name", p.Name);
            if (p.C is double c) MetricsJson.Number(json, "c", c);
            if (p.Mlp is { } mlp)
            {
                json.WriteStartObject("settings");
                foreach (var (name, value) in mlp.ToPairs()) json.WriteString(name, value);
                json.WriteEndObject();
            }
            json.WriteStartArray("fold_scores");
            foreach (var s in p.FoldScores) MetricsJson.NumberValue(json, s);
            json.WriteEndArray();
            MetricsJson.Number(json, "mean_score", p.MeanScore);
            MetricsJson.Number(json, "score_std", p.ScoreStandardDeviation);
            MetricsJson.Number(json, "mean_accuracy", p.MeanAccuracy);
            MetricsJson.Number(json, "mean_log_loss", p.MeanLogLoss);
            MetricsJson.Number(json, "mean_iterations", p.MeanIterations);
            json.WriteBoolean("all_converged", p.AllConverged);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    internal static string Name(SelectionMetric metric) => metric switch
    {
        SelectionMetric.BalancedAccuracy => "balanced_accuracy",
        SelectionMetric.MacroF1 => "macro_f1",
        SelectionMetric.LogLoss => "log_loss",
        _ => "accuracy",
    };

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values) json.WriteStringValue(v);
        json.WriteEndArray();
    }


}
