using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Output;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// The log of score (every event) and extract (its warnings and errors) on stderr: readable lines on a terminal; one
/// JSON object per line otherwise (a scheduler's log collector parses them): <c>{"time":…,"level":"info","event":"part","shard":"0/4",…}</c>.
/// A run's failure (<see cref="Failures"/>) is such a line too, not the plain <c>error:</c> line of other commands.
/// </summary>
internal sealed class RunLog(bool json, string shard)
{
    private readonly object _gate = new();

    public static RunLog ForStderr(string shard) => new(!Terminal.StderrIsTerminal, shard);

    public bool IsJson => json;

    /// <summary>Writes one event; <paramref name="text"/> is the human form, <paramref name="fields"/> the machine form.</summary>
    public void Write(string level, string @event, string text, params (string Key, object? Value)[] fields)
    {
        string line;
        if (!json)
        {
            line = level == "info" ? text : $"{level}: {text}";
        }
        else
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            // Relaxed escaping: paths and messages stay readable (' and × as they are); the line is a log, never HTML.
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                w.WriteString("level", level);
                w.WriteString("event", @event);
                w.WriteString("shard", shard);
                w.WriteString("message", text);
                foreach (var (key, value) in fields)
                {
                    switch (value)
                    {
                        case null: w.WriteNull(key); break;
                        case int i: w.WriteNumber(key, i); break;
                        case long l: w.WriteNumber(key, l); break;
                        case double d: w.WriteNumber(key, Math.Round(d, 3)); break;
                        case bool b: w.WriteBoolean(key, b); break;
                        case IReadOnlyDictionary<string, int> counts:
                            w.WriteStartObject(key);
                            foreach (var (k, v) in counts) w.WriteNumber(k, v);
                            w.WriteEndObject();
                            break;
                        default: w.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                    }
                }
                w.WriteEndObject();
            }
            line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        lock (_gate) Console.Error.WriteLine(line);
    }

    /// <summary>
    /// Runs a command's body; off a terminal, a failure the CLI explains (<see cref="CommandRunner"/>'s mapping: the
    /// message and exit code it would print) becomes one <c>failed</c> error event carrying the exit code. On a
    /// terminal the failure goes on to <see cref="CommandRunner"/>, which prints it as every command does.
    /// </summary>
    public int Failures(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (json && CommandRunner.Describe(e) is { } failure)
        {
            if (e is OperationCanceledException) Write("warning", "interrupted", failure.Message, ("exit_code", failure.ExitCode));
            else Write("error", "failed", failure.Message, ("exit_code", failure.ExitCode));
            return failure.ExitCode;
        }
    }

    /// <summary>The one report of a run stopped by a full disk (event <c>disk-full</c>, level error); returns exit code 2.</summary>
    public int DiskFull(DiskFullException e)
    {
        Write("error", "disk-full", e.Message, ("part", e.Part), ("rows_committed", e.RowsCommitted), ("bytes_needed", e.BytesNeeded),
            ("bytes_available", e.BytesAvailable), ("out", e.Directory));
        return ExitCodes.InputError;
    }
}
