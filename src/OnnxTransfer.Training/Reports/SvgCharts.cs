using System.Globalization;
using System.Text;
using OnnxTransfer.Training.Evaluation;

namespace OnnxTransfer.Training.Reports;

/// <summary>A line of a chart; optional symmetric error bars per point.</summary>
internal sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points,
    IReadOnlyList<double>? ErrorBars = null, bool Dashed = false);

/// <summary>
/// Inline SVG charts for the HTML report, written as plain markup (no script, no external reference, no xmlns needed
/// inside HTML). All text goes through <see cref="Html.Escape"/>.
/// </summary>
internal static class SvgCharts
{
    private const int Left = 64, Right = 16, Top = 28, Bottom = 48;

    public static string LineChart(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series,
        Func<double, string> xTick, double? markX = null, string? markLabel = null, bool integerXTicks = false,
        int width = 560, int height = 300)
    {
        var all = series.SelectMany(s => s.Points.Select((p, i) => (p.X, p.Y, Error: s.ErrorBars?[i] ?? 0)))
            .Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Html.Escape(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"16\" text-anchor=\"middle\" class=\"chart-title\">{Html.Escape(title)}</text>");
        if (all.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return svg.ToString();
        }
        double xMin = all.Min(p => p.X), xMax = all.Max(p => p.X);
        double yMin = all.Min(p => p.Y - p.Error), yMax = all.Max(p => p.Y + p.Error);
        if (xMax == xMin) { xMin -= 0.5; xMax += 0.5; }
        if (yMax == yMin)
        {
            double pad = yMin == 0 ? 1 : 0.1 * Math.Abs(yMin);
            yMin -= pad;
            yMax += pad;
        }
        var yTicks = NiceTicks(yMin, yMax, 5);
        yMin = Math.Min(yMin, yTicks[0]);
        yMax = Math.Max(yMax, yTicks[^1]);
        var xTicks = integerXTicks ? IntegerTicks(xMin, xMax, 10) : NiceTicks(xMin, xMax, 6);
        int plotW = width - Left - Right, plotH = height - Top - Bottom;
        double X(double x) => Left + (x - xMin) / (xMax - xMin) * plotW;
        double Y(double y) => Top + (1 - (y - yMin) / (yMax - yMin)) * plotH;

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" class=\"plot\"/>");
        foreach (var t in yTicks)
        {
            if (t < yMin - 1e-12 || t > yMax + 1e-12) continue;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{F(Y(t))}\" y2=\"{F(Y(t))}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{F(Y(t) + 4)}\" text-anchor=\"end\" class=\"tick\">{Html.Escape(Short(t))}</text>");
        }
        foreach (var t in xTicks)
        {
            if (t < xMin - 1e-12 || t > xMax + 1e-12) continue;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(t))}\" x2=\"{F(X(t))}\" y1=\"{Top + plotH}\" y2=\"{Top + plotH + 4}\" class=\"axis\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(X(t))}\" y=\"{Top + plotH + 17}\" text-anchor=\"middle\" class=\"tick\">{Html.Escape(xTick(t))}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotW / 2}\" y=\"{height - 8}\" text-anchor=\"middle\" class=\"label\">{Html.Escape(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Top + plotH / 2}\" text-anchor=\"middle\" class=\"label\" transform=\"rotate(-90 14 {Top + plotH / 2})\">{Html.Escape(yLabel)}</text>");

        if (markX is double mark && double.IsFinite(mark))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(mark))}\" x2=\"{F(X(mark))}\" y1=\"{Top}\" y2=\"{Top + plotH}\" class=\"mark\"/>");
            // Right of the line, or left of it when the label would run past the plot (a mark at the last epoch).
            bool leftOfLine = X(mark) + 8 + 7 * (markLabel?.Length ?? 0) > Left + plotW;
            if (markLabel is not null)
                svg.Append(CultureInfo.InvariantCulture,
                    $"<text x=\"{F(X(mark) + (leftOfLine ? -4 : 4))}\" y=\"{Top + plotH - 6}\" text-anchor=\"{(leftOfLine ? "end" : "start")}\" class=\"tick\">{Html.Escape(markLabel)}</text>");
        }

        // The legend goes into the plot corner the curves leave emptiest (accuracy rises to the top right, losses fall to
        // the bottom right), on a light backing so that it stays readable wherever it lands.
        var named = series.Where(s => s.Points.Any(p => double.IsFinite(p.X) && double.IsFinite(p.Y))).ToList();
        int legendW = 16 + 7 * named.Select(s => s.Name.Length).DefaultIfEmpty(0).Max(), legendH = 15 * named.Count + 6;
        (double X, double Y)[] corners =
        [
            (Left + plotW - legendW - 6, Top + 6), (Left + plotW - legendW - 6, Top + plotH - legendH - 6),
            (Left + 6, Top + 6), (Left + 6, Top + plotH - legendH - 6),
        ];
        int Crowding((double X, double Y) corner) => named.Sum(s => s.Points.Count(p =>
            double.IsFinite(p.X) && double.IsFinite(p.Y) && X(p.X) >= corner.X - 4 && X(p.X) <= corner.X + legendW + 4 &&
            Y(p.Y) >= corner.Y - 4 && Y(p.Y) <= corner.Y + legendH + 4));
        var legend = corners.OrderBy(Crowding).First();
        int legendY = (int)legend.Y + 14;
        foreach (var s in series)
        {
            var points = s.Points.Select((p, i) => (p, i)).Where(q => double.IsFinite(q.p.X) && double.IsFinite(q.p.Y)).ToList();
            if (points.Count == 0) continue;
            string dash = s.Dashed ? " stroke-dasharray=\"5 3\"" : "";
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash} points=\"");
            svg.AppendJoin(' ', points.Select(q => F(X(q.p.X)) + "," + F(Y(q.p.Y))));
            svg.Append("\"/>");
            foreach (var (p, i) in points)
            {
                double error = s.ErrorBars?[i] ?? 0;
                if (error > 0)
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(X(p.X))}\" x2=\"{F(X(p.X))}\" y1=\"{F(Y(p.Y - error))}\" y2=\"{F(Y(p.Y + error))}\" stroke=\"{s.Color}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(X(p.X))}\" cy=\"{F(Y(p.Y))}\" r=\"2.5\" fill=\"{s.Color}\"/>");
            }
        }
        if (named.Count > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(legend.X)}\" y=\"{F(legend.Y)}\" width=\"{legendW}\" height=\"{legendH}\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccd\"/>");
            foreach (var s in named)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(legend.X + 5)}\" y=\"{legendY - 8}\" width=\"10\" height=\"10\" fill=\"{s.Color}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(legend.X + 20)}\" y=\"{legendY + 1}\" class=\"tick\">{Html.Escape(s.Name)}</text>");
                legendY += 15;
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Confusion matrix heat map, cells shaded by the row-normalised share (recall per true class).</summary>
    public static string ConfusionMatrix(ClassificationMetrics m)
    {
        int k = m.Labels.Count;
        int cell = Math.Clamp(480 / Math.Max(1, k), 6, 48);
        int labelSpace = Math.Min(160, 8 + 7 * m.Labels.Max(l => Math.Min(l.Length, 22)));
        int size = cell * k;
        int width = labelSpace + size + 20, height = labelSpace + size + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"confusion matrix {Html.Escape(m.Split)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelSpace + size / 2}\" y=\"{height - 8}\" text-anchor=\"middle\" class=\"label\">predicted</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{labelSpace + size / 2}\" text-anchor=\"middle\" class=\"label\" transform=\"rotate(-90 12 {labelSpace + size / 2})\">true</text>");
        bool showText = cell >= 18;
        for (int t = 0; t < k; t++)
        {
            int support = m.ConfusionMatrix[t].Sum();
            for (int p = 0; p < k; p++)
            {
                int count = m.ConfusionMatrix[t][p];
                double share = support == 0 ? 0 : (double)count / support;
                int x = labelSpace + p * cell, y = labelSpace + t * cell;
                // White → blue by share; the diagonal in blue, errors in orange, so mistakes stand out.
                string colour = t == p ? Shade(share, 33, 102, 172) : Shade(share, 214, 96, 77);
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{colour}\" class=\"cell\"><title>true {Html.Escape(m.Labels[t])}, predicted {Html.Escape(m.Labels[p])}: {count}</title></rect>");
                if (showText)
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + cell / 2}\" y=\"{y + cell / 2 + 4}\" text-anchor=\"middle\" class=\"count{(share > 0.6 ? " light" : "")}\">{count}</text>");
            }
        }
        int fontCell = Math.Min(cell, 14);
        for (int c = 0; c < k; c++)
        {
            string label = Html.Escape(Clip(m.Labels[c]));
            int centre = labelSpace + c * cell + cell / 2;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelSpace - 4}\" y=\"{centre + fontCell / 3}\" text-anchor=\"end\" class=\"tick\">{label}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{centre}\" y=\"{labelSpace - 4}\" class=\"tick\" transform=\"rotate(-60 {centre} {labelSpace - 4})\">{label}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration.</summary>
    public static string Reliability(ClassificationMetrics m, int width = 320, int height = 300)
    {
        int plotW = width - Left - Right, plotH = height - Top - Bottom;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"reliability diagram {Html.Escape(m.Split)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"16\" text-anchor=\"middle\" class=\"chart-title\">reliability ({m.CalibrationBins} bins)</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" class=\"plot\"/>");
        foreach (var bin in m.Calibration)
        {
            if (bin.Count == 0) continue;
            double x = Left + bin.Lower * plotW, w = (bin.Upper - bin.Lower) * plotW, h = bin.Accuracy * plotH;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x)}\" y=\"{F(Top + plotH - h)}\" width=\"{F(w - 1)}\" height=\"{F(h)}\" class=\"bar\"><title>{F(bin.Lower)}–{F(bin.Upper)}: {bin.Count} rows, accuracy {F(bin.Accuracy)}, confidence {F(bin.MeanConfidence)}</title></rect>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Left + plotW}\" y2=\"{Top}\" class=\"mark\"/>");
        foreach (var t in new[] { 0.0, 0.5, 1.0 })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Left + t * plotW)}\" y=\"{Top + plotH + 17}\" text-anchor=\"middle\" class=\"tick\">{F(t)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{F(Top + (1 - t) * plotH + 4)}\" text-anchor=\"end\" class=\"tick\">{F(t)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotW / 2}\" y=\"{height - 8}\" text-anchor=\"middle\" class=\"label\">top-1 probability</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Top + plotH / 2}\" text-anchor=\"middle\" class=\"label\" transform=\"rotate(-90 14 {Top + plotH / 2})\">accuracy</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    internal static double[] NiceTicks(double min, double max, int target)
    {
        double raw = (max - min) / Math.Max(1, target);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = magnitude * (raw / magnitude >= 5 ? 10 : raw / magnitude >= 2 ? 5 : raw / magnitude >= 1 ? 2 : 1);
        double start = Math.Floor(min / step) * step;
        var ticks = new List<double>();
        for (double t = start; t <= max + step * 0.5 && ticks.Count < 50; t += step) ticks.Add(Math.Round(t / step) * step);
        return ticks.ToArray();
    }

    private static double[] IntegerTicks(double min, double max, int maxTicks)
    {
        int from = (int)Math.Ceiling(min), to = (int)Math.Floor(max);
        int step = Math.Max(1, (int)Math.Ceiling((to - from + 1) / (double)maxTicks));
        var ticks = new List<double>();
        for (int t = from; t <= to; t += step) ticks.Add(t);
        return ticks.ToArray();
    }

    private static string Shade(double share, int r, int g, int b)
    {
        int Mix(int c) => (int)Math.Round(255 + (c - 255) * share);
        return $"rgb({Mix(r)},{Mix(g)},{Mix(b)})";
    }

    private static string Clip(string label) => label.Length <= 22 ? label : label[..21] + "…";

    internal static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    internal static string Short(double value) => Math.Abs(value) >= 1e4 || (value != 0 && Math.Abs(value) < 1e-3)
        ? value.ToString("0.##e+0", CultureInfo.InvariantCulture)
        : value.ToString("0.####", CultureInfo.InvariantCulture);
}

internal static class Html
{
    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '"': builder.Append("&quot;"); break;
                case '\'': builder.Append("&#39;"); break;
                default: builder.Append(ch); break;
            }
        }
        return builder.ToString();
    }
}
