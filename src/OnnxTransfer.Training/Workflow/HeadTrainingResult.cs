using OnnxTransfer.Formats;
using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Reports;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Workflow;

/// <summary>
/// What a training run (train, sweep or evaluate) produced: the head, how the data was placed, the selection, metrics
/// on every split used, and notes — ready to be exported, reported and printed.
/// </summary>
public sealed class HeadTrainingResult
{
    public required EmbeddingDataset Dataset { get; init; }

    public SplitPlan? Plan { get; init; }

    /// <summary>Every split used, with its placement (training first, then evaluation).</summary>
    public required IReadOnlyList<(string Split, string Placement)> Placements { get; init; }

    public required Head Head { get; init; }

    public SweepResult? Sweep { get; init; }

    public required IReadOnlyList<ClassificationMetrics> Metrics { get; init; }

    /// <summary>The evaluation split scored by the head before its temperature was folded in (null: not calibrated).</summary>
    public ClassificationMetrics? EvaluationBeforeCalibration { get; init; }

    /// <summary>The head's OOD detector (null: none asked for).</summary>
    public global::OnnxTransfer.Training.Ood.OodDetector? Ood { get; init; }

    /// <summary>How the OOD score separated the evaluation split from OOD and noise rows (null: no detector).</summary>
    public global::OnnxTransfer.Training.Ood.OodReport? OodReport { get; init; }

    /// <summary>The few-shot accuracy curve of the head's kind on the evaluation split (null: not asked for).</summary>
    public FewShot.FewShotCurveResult? FewShot { get; init; }

    /// <summary>
    /// A cache with views: the evaluation split scored as test-time augmentation (each input the mean of the head's
    /// probabilities over its views; split name "val (tta)"), beside its original-view score in <see cref="Metrics"/>.
    /// </summary>
    public ClassificationMetrics? EvaluationOverViews { get; init; }

    /// <summary>Things the run decided that a reader should know (e.g. a head left uncalibrated, and why).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Writes the head to <paramref name="path"/> with its metrics, selection, cache fingerprint and splits in its metadata.</summary>
    public HeadExport Export(string path, int opset)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        return HeadOnnxExporter.Save(Head, path, new HeadExportOptions
        {
            Opset = opset,
            Metrics = Metrics,
            Sweep = Sweep,
            Fingerprint = Dataset.Fingerprint,
            CacheNumerics = Dataset.Numerics,
            Ood = Ood,
            ExtraMetadata = [new(MetadataKeys.TrainingSplits, $"train={Plan?.TrainName ?? "all"};eval={Plan?.Evaluation ?? "none"}")],
        });
    }

    /// <summary>Writes the HTML report and its JSON beside it; returns the JSON's path.</summary>
    /// <param name="command">train, sweep or evaluate (for the report's context).</param>
    /// <param name="headPath">Where the head came from or went, when a file.</param>
    public string SaveReport(string htmlPath, string title, string command, string? headPath, HeadExport? export)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(htmlPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        var jsonPath = Path.ChangeExtension(htmlPath, ".json");
        if (string.Equals(Path.GetFullPath(jsonPath), Path.GetFullPath(htmlPath), StringComparison.Ordinal)) jsonPath = htmlPath + ".json";
        var context = new List<KeyValuePair<string, string>>
        {
            new("cache", Dataset.Root),
            new("rows", $"{Dataset.RowCount} × {Dataset.Dimension}"),
            new("splits", Dataset.DescribeSplits()),
            new("cache fingerprint", Dataset.Fingerprint?.Sha256 ?? "none"),
            new("command", command),
        };
        foreach (var (split, placement) in Placements) context.Add(new($"data '{split}'", placement));
        if (EvaluationOverViews is { } overViews)
            context.Add(new("test-time augmentation", $"'{overViews.Split}': each input the mean of the head's probabilities over its cached views"));
        if (export is not null) context.Add(new("export", export.Decision));
        if (headPath is not null) context.Add(new("head file", headPath));
        context.Add(new("BLAS", BlasBackend.Default.Description));
        new TrainingReport
        {
            Title = title, Head = Head, Sweep = Sweep, Metrics = EvaluationOverViews is { } tta ? [.. Metrics, tta] : Metrics, Context = context, Ood = OodReport,
            MetricsBeforeCalibration = EvaluationBeforeCalibration is null ? [] : [EvaluationBeforeCalibration],
            FewShot = FewShot,
        }.Save(jsonPath, htmlPath);
        return jsonPath;
    }
}
