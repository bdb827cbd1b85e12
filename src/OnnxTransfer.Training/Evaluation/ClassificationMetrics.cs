using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Evaluation;

/// <summary>Precision, recall and F1 of one class (one-vs-rest), with its support (true rows).</summary>
public readonly record struct ClassMetrics(string Label, int Support, int Predicted, double Precision, double Recall, double F1);

/// <summary>One bin of the reliability diagram: rows whose top-1 probability fell in (Lower, Upper].</summary>
public readonly record struct CalibrationBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy);

/// <summary>
/// Classification quality of a head on one split. Definitions (as scikit-learn where it has one):
/// accuracy; balanced accuracy = mean recall over classes with rows in the split; macro-F1 = mean F1 over classes
/// that occur in the truth or the predictions (a class never predicted has precision 0, never present recall 0);
/// log-loss = mean −ln max(p_true, 1e-15); expected calibration error = Σ_b (n_b/n)·|accuracy_b − confidence_b| over
/// <see cref="CalibrationBins"/> equal-width bins of the top-1 probability (Guo et al., 2017); confusion matrix
/// indexed [true class, predicted class] in label order.
/// </summary>
public sealed class ClassificationMetrics
{
    /// <summary>Default number of equal-width calibration bins.</summary>
    public const int DefaultCalibrationBins = 15;

    /// <summary>Probabilities are clipped to this before the log, as scikit-learn's log_loss.</summary>
    public const double LogLossFloor = 1e-15;

    public required string Split { get; init; }

    public required int Rows { get; init; }

    public required IReadOnlyList<string> Labels { get; init; }

    public required double Accuracy { get; init; }

    public required double BalancedAccuracy { get; init; }

    public required double MacroF1 { get; init; }

    public required double LogLoss { get; init; }

    public required double ExpectedCalibrationError { get; init; }

    public required int CalibrationBins { get; init; }

    public required IReadOnlyList<CalibrationBin> Calibration { get; init; }

    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }

    /// <summary>[true][predicted] counts, in label order.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; }

    /// <summary>Things a reader should know (e.g. a class without rows in this split).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Runs <paramref name="head"/> on <paramref name="set"/> (labels matched by name) and scores it.</summary>
    /// <exception cref="TrainingDataException">Dimension mismatch, or labels the head does not know.</exception>
    public static ClassificationMetrics Evaluate(Head head, TrainingData split, ComputeOptions? compute = null, int calibrationBins = DefaultCalibrationBins)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(split);
        head.CheckDimension(split);
        var aligned = split.WithClasses(head.Labels);
        var probabilities = head.PredictProba(aligned, compute);
        return Compute(split.Name, head.Labels, aligned.LabelIndices, probabilities, calibrationBins);
    }

    /// <summary>Scores row-major probabilities <c>[rows, labels]</c> against true class indices.</summary>
    public static ClassificationMetrics Compute(string split, IReadOnlyList<string> labels, ReadOnlySpan<int> truth,
        ReadOnlySpan<float> probabilities, int calibrationBins = DefaultCalibrationBins)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int k = labels.Count, n = truth.Length;
        if (n == 0) throw new TrainingDataException($"Split '{split}' is empty: nothing to evaluate.", split);
        if (probabilities.Length != (long)n * k)
            throw new ArgumentException($"{probabilities.Length} probabilities for {n} rows × {k} labels.", nameof(probabilities));
        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationBins, 1);

        var confusion = new int[k, k];
        var binCount = new int[calibrationBins];
        var binConfidence = new double[calibrationBins];
        var binCorrect = new int[calibrationBins];
        double logLoss = 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            int label = truth[i];
            if ((uint)label >= (uint)k) throw new ArgumentException($"Row {i}: class index {label} outside 0..{k - 1}.", nameof(truth));
            var row = probabilities.Slice(i * k, k);
            int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
            confusion[label, predicted]++;
            if (predicted == label) correct++;
            logLoss -= Math.Log(Math.Max(row[label], LogLossFloor));
            double confidence = row[predicted];
            // Bin b holds confidences in (b/B, (b+1)/B]; a confidence of exactly 0 (impossible for a top-1) goes to bin 0.
            int bin = Math.Clamp((int)Math.Ceiling(confidence * calibrationBins) - 1, 0, calibrationBins - 1);
            binCount[bin]++;
            binConfidence[bin] += confidence;
            if (predicted == label) binCorrect[bin]++;
        }

        var warnings = new List<string>();
        var perClass = new ClassMetrics[k];
        double recallSum = 0, f1Sum = 0;
        int recallClasses = 0, f1Classes = 0;
        for (int c = 0; c < k; c++)
        {
            int support = 0, predictedCount = 0;
            for (int j = 0; j < k; j++)
            {
                support += confusion[c, j];
                predictedCount += confusion[j, c];
            }
            int tp = confusion[c, c];
            double precision = predictedCount == 0 ? 0 : (double)tp / predictedCount;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(labels[c], support, predictedCount, precision, recall, f1);
            if (support > 0)
            {
                recallSum += recall;
                recallClasses++;
            }
            else
            {
                warnings.Add($"Class '{labels[c]}' has no rows in split '{split}': its recall is undefined (reported 0) and it is left out of balanced accuracy.");
            }
            if (support > 0 || predictedCount > 0)
            {
                f1Sum += f1;
                f1Classes++;
            }
        }

        double ece = 0;
        var calibration = new CalibrationBin[calibrationBins];
        for (int b = 0; b < calibrationBins; b++)
        {
            double meanConfidence = binCount[b] == 0 ? 0 : binConfidence[b] / binCount[b];
            double accuracy = binCount[b] == 0 ? 0 : (double)binCorrect[b] / binCount[b];
            calibration[b] = new CalibrationBin((double)b / calibrationBins, (double)(b + 1) / calibrationBins, binCount[b], meanConfidence, accuracy);
            ece += (double)binCount[b] / n * Math.Abs(accuracy - meanConfidence);
        }

        var matrix = new IReadOnlyList<int>[k];
        for (int c = 0; c < k; c++)
        {
            var row = new int[k];
            for (int j = 0; j < k; j++) row[j] = confusion[c, j];
            matrix[c] = row;
        }
        return new ClassificationMetrics
        {
            Split = split,
            Rows = n,
            Labels = labels.ToArray(),
            Accuracy = (double)correct / n,
            BalancedAccuracy = recallClasses == 0 ? 0 : recallSum / recallClasses,
            MacroF1 = f1Classes == 0 ? 0 : f1Sum / f1Classes,
            LogLoss = logLoss / n,
            ExpectedCalibrationError = ece,
            CalibrationBins = calibrationBins,
            Calibration = calibration,
            PerClass = perClass,
            ConfusionMatrix = matrix,
            Warnings = warnings,
        };
    }
}
