using System.Globalization;
using System.Text;
using OnnxTransfer.Formats;
using OnnxTransfer.Training.Audit;

namespace OnnxTransfer.Training.Reports;

/// <summary>
/// The audit as one HTML page: summary, class counts, label issues, copies and leaks (with thumbnails: an
/// <c>&lt;img&gt;</c> pointing at an image row's source file — the browser decodes it, the trainer never does), and
/// per-slice accuracy with its intervals.
/// </summary>
public static class AuditReportWriter
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
        { ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif" };

    /// <summary>How many findings of each reason the page shows (the Parquet file has them all).</summary>
    public const int RowsPerTable = 100;

    public static void Save(AuditResult result, string path, string title)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        File.WriteAllText(path, Write(result, title), new UTF8Encoding(false));
    }

    public static string Write(AuditResult result, string title)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Html.Escape(title))
            .Append("</title><style>").Append(HtmlReportWriter.Style).Append("img.thumb{max-width:96px;max-height:96px}</style></head><body>");
        html.Append("<h1>").Append(Html.Escape(title)).Append("</h1>");
        html.Append("<h2>Audit</h2><p>").Append(Html.Escape(
            $"Training split '{result.TrainSplit}' ({result.TrainRows} rows): {result.LabelIssues} likely label error(s) by confident learning on " +
            $"{result.Folds}-fold out-of-fold probabilities (out-of-fold accuracy {F(result.OutOfFoldAccuracy)}), {result.NearDuplicates} row(s) with a near-duplicate " +
            $"(cosine ≥ {F(result.DuplicateThreshold)})" +
            (result.EvaluationSplit is null ? "; no evaluation split." : $"; {result.Leaks} row(s) of '{result.EvaluationSplit}' duplicate a training row (leakage)."))).Append("</p>");

        html.Append("<h3>Class counts</h3><table><tr><th>class</th><th>rows</th><th>threshold t<sub>j</sub></th></tr>");
        for (int c = 0; c < result.ClassCounts.Count; c++)
            html.Append("<tr><td>").Append(Html.Escape(result.ClassCounts[c].Label)).Append("</td><td>").Append(result.ClassCounts[c].Rows)
                .Append("</td><td>").Append(F(result.Confident.Thresholds[c])).Append("</td></tr>");
        html.Append("</table><p class=\"muted\">Largest / smallest class: ").Append(F(result.ImbalanceRatio)).Append("</p>");

        WriteFindings(html, result, AuditLayout.LabelIssueReason, "Likely label errors (lowest self-confidence first)", "self-confidence");
        WriteFindings(html, result, AuditLayout.NearDuplicateReason, "Near-duplicates within the training split", "cosine");
        WriteFindings(html, result, AuditLayout.LeakageReason, "Leakage: evaluation rows that duplicate training rows", "cosine");
        if (result.Slices is { } slices) WriteSlices(html, slices);
        html.Append("</body></html>");
        return html.ToString();
    }

    private static void WriteFindings(StringBuilder html, AuditResult result, string reason, string heading, string scoreName)
    {
        var rows = result.Findings.Where(f => f.Reason == reason).Take(RowsPerTable).ToList();
        html.Append("<h3>").Append(Html.Escape(heading)).Append("</h3>");
        if (rows.Count == 0)
        {
            html.Append("<p class=\"muted\">None.</p>");
            return;
        }
        bool neighbours = reason != AuditLayout.LabelIssueReason;
        html.Append("<table><tr><th>row</th><th></th><th>").Append(scoreName).Append("</th><th>given label</th><th>")
            .Append(neighbours ? "neighbour's label</th><th>neighbour</th><th></th>" : "suggested label</th>").Append("</tr>");
        foreach (var f in rows)
        {
            html.Append("<tr><td>").Append(Html.Escape(f.Id)).Append("</td><td>").Append(Thumbnail(f.Source)).Append("</td><td>")
                .Append(F(f.Score)).Append("</td><td>").Append(Html.Escape(f.GivenLabel ?? "")).Append("</td><td>").Append(Html.Escape(f.SuggestedLabel ?? "")).Append("</td>");
            if (neighbours) html.Append("<td>").Append(Html.Escape(f.NeighbourId ?? "")).Append("</td><td>").Append(Thumbnail(f.NeighbourSource)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</table>");
    }

    private static void WriteSlices(StringBuilder html, SliceReport slices)
    {
        html.Append("<h3>Out-of-fold accuracy by ").Append(Html.Escape(slices.Column)).Append("</h3><p class=\"muted\">")
            .Append(Html.Escape($"All {slices.Rows} rows: {F(slices.Accuracy)}. 95% bootstrap intervals; a slice is flagged when its whole interval lies below that.")).Append("</p>");
        html.Append("<table><tr><th>").Append(Html.Escape(slices.Column)).Append("</th><th>rows</th><th>errors</th><th>accuracy</th><th>95% interval</th><th></th></tr>");
        foreach (var s in slices.Slices)
            html.Append("<tr><td>").Append(Html.Escape(s.Value)).Append("</td><td>").Append(s.Rows).Append("</td><td>").Append(s.Errors)
                .Append("</td><td>").Append(F(s.Accuracy)).Append("</td><td>").Append(F(s.Low)).Append(" – ").Append(F(s.High))
                .Append("</td><td class=\"warn\">").Append(s.Concentrated ? "errors concentrated" : "").Append("</td></tr>");
        html.Append("</table>");
    }

    /// <summary>An &lt;img&gt; for a source that names an image file (by extension); nothing for texts and other rows.</summary>
    private static string Thumbnail(string? source)
    {
        if (string.IsNullOrEmpty(source) || !ImageExtensions.Contains(Path.GetExtension(source))) return "";
        var uri = Path.IsPathRooted(source) ? new Uri(source).AbsoluteUri : Uri.EscapeDataString(source).Replace("%2F", "/");
        return $"<img class=\"thumb\" loading=\"lazy\" alt=\"\" src=\"{Html.Escape(uri)}\">";
    }

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
