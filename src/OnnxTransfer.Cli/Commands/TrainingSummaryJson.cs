using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxTransfer.Training.Calibration;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Reports;

namespace OnnxTransfer.Cli.Commands;

// The --json summary of train, sweep and evaluate, field by field in the order written. A field that only some runs
// have is left out when null (Optional…); a number that is not finite is written as null (Finite).

internal sealed record SummaryJson(
    string Command, SummaryCache Cache,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TrainSplit,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OptionalText? EvalSplit,
    IReadOnlyList<SummaryData> Data, SummaryHead Head,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummarySelection? Selection,
    IReadOnlyList<SummaryMetrics> Metrics,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryCalibration? Calibration,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryOod? Ood,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryExport? Export,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryReport? Report,
    IReadOnlyList<string> Notes, double Seconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryFewShot? FewShot = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryMetrics? EvalTta = null);

/// <summary>train --few-shot-curve: evaluation accuracy with n training rows per class, over seeded draws.</summary>
internal sealed record SummaryFewShot(string Head, string EvaluationSplit, int EvaluationRows, int Draws, int Seed, IReadOnlyList<SummaryFewShotPoint> Points);

internal sealed record SummaryFewShotPoint(int Shots, int TrainingRows, Finite MeanAccuracy, Finite AccuracyStd, IReadOnlyList<Finite> Accuracies);

internal sealed record SummaryCache(
    string Path, long Rows, int Dimension, [property: JsonPropertyName("fingerprint_sha256")] string? FingerprintSha256, Dictionary<string, int> Splits);

internal sealed record SummaryData(string Split, bool Streamed, string Placement);

internal sealed record SummaryHead(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Path,
    string Kind, IReadOnlyList<string> Labels, int InputDimension, string Preprocessing, IReadOnlyList<SummaryLayer> Layers,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(PairsConverter))] IReadOnlyList<KeyValuePair<string, string>>? Settings,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TrainingRows,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? FitSeconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Iterations,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Converged,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StopReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Finite? GradientMaxNorm,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Epochs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? BestEpoch,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? StoppedEarly,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? EarlyStoppingRows);

internal sealed record SummaryLayer(int Inputs, int Outputs, string Activation);

internal sealed record SummarySelection(string Validation, string Metric, string Best, Finite Seconds, IReadOnlyList<SummaryCandidate> Candidates);

internal sealed record SummaryCandidate(
    int Rank, string Name,
    [property: JsonPropertyName("C"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Finite? C,
    Finite MeanScore, Finite ScoreStd, Finite MeanAccuracy, Finite MeanLogLoss, Finite MeanIterations, bool Converged, Finite MeanFitSeconds);

internal sealed record SummaryMetrics(
    string Split, int Rows, Finite Accuracy, Finite BalancedAccuracy, Finite MacroF1, Finite LogLoss, Finite ExpectedCalibrationError,
    IReadOnlyList<SummaryClass> PerClass, IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix, IReadOnlyList<string> Warnings)
{
    public static SummaryMetrics Of(ClassificationMetrics m) => new(
        m.Split, m.Rows, new(m.Accuracy), new(m.BalancedAccuracy), new(m.MacroF1), new(m.LogLoss), new(m.ExpectedCalibrationError),
        m.PerClass.Select(c => new SummaryClass(c.Label, c.Support, new(c.Precision), new(c.Recall), new(c.F1))).ToArray(), m.ConfusionMatrix, m.Warnings);
}

internal sealed record SummaryClass(string Label, int Support, Finite Precision, Finite Recall, Finite F1);

/// <summary>The head's calibration, and what it did to the evaluation split (<paramref name="Before"/>, <paramref name="After"/>).</summary>
[JsonConverter(typeof(SummaryCalibrationConverter))]
internal sealed record SummaryCalibration(CalibrationReport Report, ClassificationMetrics? Before, ClassificationMetrics? After);

/// <summary>The head's OOD score: threshold, and AUROC of the evaluation split against the --ood-eval cache and noise (null: not measured).</summary>
internal sealed record SummaryOod(
    string Method, double Threshold, [property: JsonPropertyName("target_fpr")] double TargetFpr, string? EvalSplit, int EvalRows, Finite? EvalFlagged,
    string? OodSource, int OodRows, Finite? OodAuroc, Finite? OodFlagged, int NoiseRows, Finite? NoiseAuroc, Finite? NoiseFlagged,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryOodHoldout? HeldOut)
{
    public static SummaryOod Of(OnnxTransfer.Training.Ood.OodReport r) => new(
        r.Method, r.Threshold, r.TargetFalsePositiveRate, r.EvaluationSplit, r.EvaluationRows, Optional(r.EvaluationFlagged),
        r.OodSource, r.OodRows, Optional(r.OodAuroc), Optional(r.OodFlagged), r.NoiseRows, Optional(r.NoiseAuroc), Optional(r.NoiseFlagged),
        r.HeldOut is { } h ? new SummaryOodHoldout(h.Class, h.InRows, h.HeldOutRows, new(h.Auroc), new(h.HeldOutFlagged), new(h.InFlagged)) : null);

    private static Finite? Optional(double? value) => value is { } v ? new Finite(v) : null;
}

/// <summary>train --ood-holdout-class: the held-out class's evaluation rows against the others, by a detector learned without it.</summary>
internal sealed record SummaryOodHoldout(string Class, int InRows, int HeldOutRows, Finite Auroc, Finite HeldOutFlagged, Finite InFlagged);

internal sealed record SummaryExport(string? Path, long Opset, bool StandardizationFolded, string Decision);

internal sealed record SummaryReport(string? Html, string? Json);

/// <summary>A number written as null when it is not finite (JSON has no NaN).</summary>
[JsonConverter(typeof(FiniteConverter))]
internal readonly record struct Finite(double Value);

/// <summary>A text written even when null (where its absence is said by leaving the whole field out).</summary>
[JsonConverter(typeof(OptionalTextConverter))]
internal readonly record struct OptionalText(string? Value);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SummaryJson))]
internal sealed partial class TrainingSummaryJsonContext : JsonSerializerContext
{
    /// <summary>Labels and paths as they are (no \u escapes): the summary is read by people and pipelines alike.</summary>
    public static TrainingSummaryJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

internal sealed class FiniteConverter : JsonConverter<Finite>
{
    public override Finite Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

    public override void Write(Utf8JsonWriter writer, Finite value, JsonSerializerOptions options) => MetricsJson.NumberValue(writer, value.Value);
}

internal sealed class OptionalTextConverter : JsonConverter<OptionalText>
{
    public override OptionalText Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

    public override void Write(Utf8JsonWriter writer, OptionalText value, JsonSerializerOptions options)
    {
        if (value.Value is null) writer.WriteNullValue();
        else writer.WriteStringValue(value.Value);
    }
}

/// <summary>The calibration object every document shares (<see cref="CalibrationReport.WriteFields"/>), plus the evaluation split's figures.</summary>
internal sealed class SummaryCalibrationConverter : JsonConverter<SummaryCalibration>
{
    public override SummaryCalibration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

    public override void Write(Utf8JsonWriter writer, SummaryCalibration value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        value.Report.WriteFields(writer);
        if (value is { Before: { } before, After: { } after })
        {
            writer.WriteString("eval_split", before.Split);
            MetricsJson.Number(writer, "eval_ece_before", before.ExpectedCalibrationError);
            MetricsJson.Number(writer, "eval_ece_after", after.ExpectedCalibrationError);
            MetricsJson.Number(writer, "eval_log_loss_before", before.LogLoss);
            MetricsJson.Number(writer, "eval_log_loss_after", after.LogLoss);
        }
        writer.WriteEndObject();
    }
}
