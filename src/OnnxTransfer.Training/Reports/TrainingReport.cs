using System.Text;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Reports;

/// <summary>
/// Everything worth reading about one trained head: the head's summary and training account, metrics per split, and
/// the sweep that chose it. Written as machine-readable JSON (<see cref="WriteJson(Stream)"/>, format
/// <c>onnxtransfer-training-report</c> version 1) and as a self-contained HTML page with inline SVG charts
/// (<see cref="ToHtml"/>): no scripts, no external resources, readable offline.
/// </summary>
public sealed class TrainingReport
{
    public const string JsonFormat = "onnxtransfer-training-report";
    public const int JsonVersion = 1;

    public required string Title { get; init; }

    public required Head Head { get; init; }

    /// <summary>Metrics per split (e.g. train, val, test), in display order.</summary>
    public IReadOnlyList<ClassificationMetrics> Metrics { get; init; } = [];

    /// <summary>Splits scored by the head before its temperature was folded in (calibrated heads only): the "before" reliability diagrams.</summary>
    public IReadOnlyList<ClassificationMetrics> MetricsBeforeCalibration { get; init; } = [];

    /// <summary>The sweep that chose the head, if any.</summary>
    public SweepResult? Sweep { get; init; }

    /// <summary>The head's OOD score and how it separated the evaluation split from OOD and noise rows; null: none.</summary>
    public global::OnnxTransfer.Training.Ood.OodReport? Ood { get; init; }

    /// <summary>The few-shot accuracy curve, when the run measured one.</summary>
    public FewShot.FewShotCurveResult? FewShot { get; init; }

    /// <summary>Free (name, value) facts shown and saved with the report: cache fingerprint, backbone, BLAS backend…</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Context { get; init; } = [];

    /// <summary>When the report was made (set it for reproducible bytes).</summary>
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    public void WriteJson(Stream stream) => ReportJson.Write(this, stream);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteJson(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public string ToHtml() => HtmlReportWriter.Write(this);

    /// <summary>Writes <c>PATH.json</c>-style and <c>.html</c> files atomically (temporary name, then rename).</summary>
    public void Save(string jsonPath, string htmlPath)
    {
        WriteAtomically(jsonPath, stream => WriteJson(stream));
        WriteAtomically(htmlPath, stream =>
        {
            var bytes = Encoding.UTF8.GetBytes(ToHtml());
            stream.Write(bytes);
        });
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        using (var stream = File.Create(temporary)) write(stream);
        File.Move(temporary, path, overwrite: true);
    }
}
