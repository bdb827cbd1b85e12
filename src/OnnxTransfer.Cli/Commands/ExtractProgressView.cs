using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Extraction;
using Spectre.Console;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// Shows an extraction's progress on stderr: a Spectre progress bar when stderr is a terminal, otherwise one plain
/// line every few seconds (for logs of scheduled jobs). stdout stays free for the summary.
/// </summary>
internal sealed class ExtractProgressView : IProgress<ExtractionProgress>
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private readonly long _started = Stopwatch.GetTimestamp();
    private string _unit = "img";
    private ProgressTask? _task;
    private TimeSpan? _lastLine;

    public static bool UseBar(bool quiet) => !quiet && Terminal.StderrIsTerminal;

    /// <summary>Runs <paramref name="work"/> with a live progress bar on stderr.</summary>
    public static T WithBar<T>(string title, string unit, Func<IProgress<ExtractionProgress>, T> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var view = new ExtractProgressView { _task = context.AddTask(Markup.Escape(title), autoStart: true, maxValue: 1), _unit = Short(unit) };
                return work(view);
            });
    }

    /// <summary>A view that writes plain lines (no terminal control codes).</summary>
    public static ExtractProgressView Plain(string unit = "images") => new() { _unit = Short(unit) };

    private static string Short(string unit) => unit == "images" ? "img" : unit;

    public void Report(ExtractionProgress value)
    {
        if (_task is { } task)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = value.Done;
            task.Description = string.Create(CultureInfo.InvariantCulture,
                $"extract {value.Done}/{value.Total} ({value.Rate:F0} {_unit}/s{(value.Failed > 0 ? $", {value.Failed} failed" : "")})");
            return;
        }
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var final = value.Done == value.Total && value.Committed == value.Done;
        if (!final && _lastLine is { } last && elapsed - last < PlainInterval) return;
        _lastLine = elapsed;
        var remaining = value.Rate > 0 ? (value.Total - value.Done) / value.Rate : 0;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"extract: {value.Done}/{value.Total} ({100 * value.Fraction:F1}%), {value.Rate:F1} {_unit}/s, {value.Failed} failed, " +
            $"{value.Committed} committed, elapsed {value.Elapsed.TotalSeconds:F0} s, about {remaining:F0} s left"));
    }
}
