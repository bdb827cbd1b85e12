using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Calibration;

/// <summary>How a head's probabilities are calibrated after training.</summary>
public enum CalibrationMethod { None, Temperature }

/// <summary>
/// Temperature scaling (Guo et al., 2017): one T &gt; 0 such that softmax(z / T) minimises the log-loss of held-out
/// logits z. It never changes a prediction (the arg-max is the same), only how confident the probabilities are, and
/// it folds into the head: the last layer's weights and bias divided by T, so the exported head, and the fused model
/// built from it, give the calibrated probabilities with no extra node.
/// <para>The logits must come from rows the head's fit did not see: the out-of-fold logits of the training split's
/// cross-validation (softmax regression) or the MLP's early-stopping carve-out, never the evaluation split.</para>
/// </summary>
public static class TemperatureScaling
{
    /// <summary>The search range of T; the objective is unimodal in log T, so a golden-section search finds its minimum.</summary>
    public const double MinimumTemperature = 1e-2, MaximumTemperature = 1e2;

    /// <summary>
    /// Weight of the prior on log T, in rows of evidence: the fit minimises mean log-loss + PriorRows·(ln T)²/n. When every
    /// held-out row is classified with a margin the log-loss keeps falling as T → 0 (a few dozen rows of a small
    /// carve-out often are), and unpenalised T would sharpen the head without bound; the prior keeps such evidence
    /// from moving T far from 1, and vanishes for thousands of rows.
    /// </summary>
    public const double PriorRows = 1;

    /// <summary>Fewer held-out rows than this do not identify T (a 26-row carve-out moved hymenoptera's val ECE the wrong way); calibration is then skipped.</summary>
    public const int MinimumRows = 100;

    /// <summary>The T that minimises the mean log-loss of softmax(<paramref name="logits"/> / T) on <paramref name="labels"/> (with the weak prior above).</summary>
    public static double Fit(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "Calibration needs at least two classes.");
        if (logits.Length != labels.Length * classes)
            throw new ArgumentException($"{logits.Length} logits for {labels.Length} rows of {classes} classes.", nameof(logits));
        if (labels.Length == 0) throw new ArgumentException("Calibration needs at least one held-out row.", nameof(labels));
        // Golden-section search over u = log T: NLL is convex in 1/T, hence unimodal in log T, as is the prior.
        double a = Math.Log(MinimumTemperature), b = Math.Log(MaximumTemperature);
        double phi = (Math.Sqrt(5) - 1) / 2;
        double x1 = b - phi * (b - a), x2 = a + phi * (b - a);
        double prior = PriorRows / labels.Length;
        double f1 = LogLoss(logits, labels, classes, Math.Exp(x1)) + prior * x1 * x1, f2 = LogLoss(logits, labels, classes, Math.Exp(x2)) + prior * x2 * x2;
        for (int i = 0; i < 80 && b - a > 1e-6; i++)
        {
            if (f1 <= f2)
            {
                b = x2; x2 = x1; f2 = f1;
                x1 = b - phi * (b - a);
                f1 = LogLoss(logits, labels, classes, Math.Exp(x1)) + prior * x1 * x1;
            }
            else
            {
                a = x1; x1 = x2; f1 = f2;
                x2 = a + phi * (b - a);
                f2 = LogLoss(logits, labels, classes, Math.Exp(x2)) + prior * x2 * x2;
            }
        }
        return Math.Exp((a + b) / 2);
    }

    /// <summary>Mean log-loss of softmax(logits / T), in double.</summary>
    public static double LogLoss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, double temperature)
    {
        double sum = 0, inverse = 1 / temperature;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            double max = double.NegativeInfinity;
            foreach (var z in row) max = Math.Max(max, z * inverse);
            double partition = 0;
            foreach (var z in row) partition += Math.Exp(z * inverse - max);
            sum += max + Math.Log(partition) - row[labels[i]] * inverse;
        }
        return sum / labels.Length;
    }

    /// <summary>Probabilities softmax(logits / T), row-major.</summary>
    public static float[] Probabilities(ReadOnlySpan<float> logits, int classes, double temperature)
    {
        var probabilities = new float[logits.Length];
        float inverse = (float)(1 / temperature);
        for (int i = 0; i < logits.Length; i++) probabilities[i] = logits[i] * inverse;
        Kernels.SoftmaxRows(probabilities, logits.Length / classes, classes);
        return probabilities;
    }

    /// <summary>
    /// Fits T on held-out <paramref name="logits"/> and returns <paramref name="head"/> with T folded into its last layer,
    /// its training account carrying the <see cref="CalibrationReport"/> (ECE and log-loss of those rows before and after).
    /// </summary>
    public static Head Calibrate(Head head, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, string heldOutDescription)
    {
        ArgumentNullException.ThrowIfNull(head);
        int classes = head.ClassCount;
        double temperature = Fit(logits, labels, classes);
        var before = ClassificationMetrics.Compute("held-out", head.Labels, labels, Probabilities(logits, classes, 1.0));
        var after = ClassificationMetrics.Compute("held-out", head.Labels, labels, Probabilities(logits, classes, temperature));
        var report = new CalibrationReport
        {
            Method = CalibrationMethod.Temperature,
            Temperature = temperature,
            HeldOut = heldOutDescription,
            HeldOutRows = labels.Length,
            EceBefore = before.ExpectedCalibrationError,
            EceAfter = after.ExpectedCalibrationError,
            LogLossBefore = before.LogLoss,
            LogLossAfter = after.LogLoss,
        };
        return WithTemperature(head, temperature, report);
    }

    /// <summary><paramref name="head"/> whose logits are divided by <paramref name="temperature"/> (last layer scaled).</summary>
    public static Head WithTemperature(Head head, double temperature, CalibrationReport? report = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be finite and > 0.");
        var layers = head.Layers.ToArray();
        var last = layers[^1];
        float inverse = (float)(1 / temperature);
        var weights = Array.ConvertAll(last.Weights, w => w * inverse);
        var bias = Array.ConvertAll(last.Bias, w => w * inverse);
        layers[^1] = new DenseLayer(last.InputCount, last.OutputCount, weights, bias, last.Activation);
        var info = head.Training;
        var training = info is null ? null : new HeadTrainingInfo
        {
            Settings = info.Settings,
            TrainingRows = info.TrainingRows,
            TrainingRowsPerClass = info.TrainingRowsPerClass,
            Optimization = info.Optimization,
            History = info.History,
            Seconds = info.Seconds,
            Calibration = report,
        };
        return new Head(head.Kind, head.Labels, head.Preprocessing, layers, training);
    }
}

/// <summary>What calibration did: the method, T, the held-out rows it was fitted on, and their ECE and log-loss before and after.</summary>
public sealed record CalibrationReport
{
    public required CalibrationMethod Method { get; init; }

    /// <summary>The fitted temperature (logits are divided by it); 1 = unchanged.</summary>
    public required double Temperature { get; init; }

    /// <summary>Which rows T was fitted on, in words (never the evaluation split).</summary>
    public required string HeldOut { get; init; }

    public required int HeldOutRows { get; init; }

    public required double EceBefore { get; init; }

    public required double EceAfter { get; init; }

    public required double LogLossBefore { get; init; }

    public required double LogLossAfter { get; init; }

    /// <summary>
    /// Writes this report's fields into the open JSON object (the head's metadata, the report's JSON and the CLI's
    /// --json all hold the same <c>calibration</c> object; the CLI adds the evaluation split's figures beside them).
    /// </summary>
    public void WriteFields(System.Text.Json.Utf8JsonWriter json)
    {
        json.WriteString("method", Method.ToString().ToLowerInvariant());
        Evaluation.MetricsJson.Number(json, "temperature", Temperature);
        json.WriteString("held_out", HeldOut);
        json.WriteNumber("held_out_rows", HeldOutRows);
        Evaluation.MetricsJson.Number(json, "ece_before", EceBefore);
        Evaluation.MetricsJson.Number(json, "ece_after", EceAfter);
        Evaluation.MetricsJson.Number(json, "log_loss_before", LogLossBefore);
        Evaluation.MetricsJson.Number(json, "log_loss_after", LogLossAfter);
    }
}
