using System.Text.Json.Serialization;
using OnnxTransfer.Training.Calibration;

namespace OnnxTransfer.Training.Reports;

// The report's JSON, field by field in the order written (see TrainingReport for what each part means).

internal sealed record ReportDocument(
    string Format, int Version, string Title, string CreatedAt,
    [property: JsonConverter(typeof(PairsConverter))] IReadOnlyList<KeyValuePair<string, string>> Context,
    ReportHead Head, IReadOnlyList<ReportMetrics> Metrics, ReportSweep? Sweep,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReportFewShot? FewShot,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] global::OnnxTransfer.Training.Ood.OodReport? Ood = null);

internal sealed record ReportHead(
    string Kind, int InputDimension, IReadOnlyList<string> Labels, ReportPreprocessing Preprocessing, IReadOnlyList<ReportLayer> Layers,
    ReportTraining? Training);

internal sealed record ReportPreprocessing([property: JsonPropertyName("l2_normalize")] bool L2Normalize, bool Standardize);

internal sealed record ReportLayer(int Inputs, int Outputs, string Activation);

internal sealed record ReportTraining(
    [property: JsonConverter(typeof(PairsConverter))] IReadOnlyList<KeyValuePair<string, string>> Settings,
    int TrainingRows, Dictionary<string, int> TrainingRowsPerClass, double? Seconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReportOptimization? Optimization,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(CalibrationConverter))] CalibrationReport? Calibration,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReportHistory? History);

internal sealed record ReportOptimization(
    string Method, int Iterations, int FunctionEvaluations, double? Objective, double? GradientMaxNorm, double? Tolerance, bool Converged, string StopReason);

internal sealed record ReportHistory(int BestEpoch, bool StoppedEarly, int ValidationRows, IReadOnlyList<ReportEpoch> Epochs);

internal sealed record ReportEpoch(int Epoch, double? TrainLoss, double? ValidationLoss, double? ValidationAccuracy, double? LearningRate);

internal sealed record ReportMetrics(
    string Split, int Rows, double? Accuracy, double? BalancedAccuracy, double? MacroF1, double? LogLoss, double? ExpectedCalibrationError,
    ReportReliability Calibration, IReadOnlyList<ReportClass> PerClass, ReportConfusion ConfusionMatrix, IReadOnlyList<string> Warnings);

internal sealed record ReportReliability(string Binning, int BinCount, IReadOnlyList<ReportBin> Bins);

internal sealed record ReportBin(double? Lower, double? Upper, int Count, double? MeanConfidence, double? Accuracy);

internal sealed record ReportClass(string Label, int Support, int Predicted, double? Precision, double? Recall, double? F1);

internal sealed record ReportConfusion(string Rows, string Columns, IReadOnlyList<string> Labels, IReadOnlyList<IReadOnlyList<int>> Counts);

internal sealed record ReportSweep(string Metric, string Validation, int BestIndex, double? Seconds, IReadOnlyList<ReportPoint> Points);

internal sealed record ReportPoint(
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? C,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(PairsConverter))] IReadOnlyList<KeyValuePair<string, string>>? Settings,
    IReadOnlyList<double?> FoldScores, double? MeanScore, double? ScoreStd, double? MeanAccuracy, double? MeanLogLoss, double? MeanIterations,
    bool AllConverged);

internal sealed record ReportFewShot(string Head, string EvaluationSplit, int EvaluationRows, int Seed, string Draws, IReadOnlyList<ReportFewShotPoint> Points);

internal sealed record ReportFewShotPoint(int Shots, int TrainingRows, double? MeanAccuracy, double? AccuracyStd, IReadOnlyList<double?> Accuracies);
