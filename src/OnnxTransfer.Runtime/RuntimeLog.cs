using Microsoft.ML.OnnxRuntime;

namespace OnnxTransfer.Runtime;

/// <summary>
/// ONNX Runtime's own log, routed through ours instead of its console: the process-wide environment is created here,
/// once, with a logging function. Every line at warning level or above is kept in a short history (a CUDA provider that
/// fails to load says why only there, so <see cref="CudaDiagnostics"/> quotes it); lines at the level chosen by
/// <c>ONNXTRANSFER_ORT_LOG</c> (<c>error</c> by default; <c>warning</c>, <c>info</c>, <c>verbose</c>) go to
/// <see cref="Sink"/>. So a session of a quantised model no longer prints ~70 "Removing initializer" graph warnings.
/// </summary>
public static class RuntimeLog
{
    /// <summary>The environment variable that sets which ONNX Runtime log lines reach <see cref="Sink"/>.</summary>
    public const string LevelVariable = "ONNXTRANSFER_ORT_LOG";

    private const int HistoryLength = 200;
    private static readonly Lock Gate = new();
    private static readonly Queue<(long Sequence, string Line)> History = new();
    private static long s_sequence;
    private static OrtEnv? s_environment;
    private static readonly DOrtLoggingFunction LogFunction = OnLog; // kept alive for as long as the process runs

    /// <summary>Where forwarded lines go (the CLI: its warning output). Null: kept in the history only.</summary>
    public static Action<string>? Sink { get; set; }

    /// <summary>The lowest severity forwarded to <see cref="Sink"/>.</summary>
    public static OrtLoggingLevel ForwardLevel { get; set; } = LevelFromEnvironment();

    /// <summary>ONNX Runtime's environment, created on first use with our logging function.</summary>
    public static OrtEnv Environment
    {
        get
        {
            if (s_environment is { } created) return created;
            lock (Gate)
            {
                if (s_environment is null)
                {
                    // Capture warnings even when only errors are forwarded: the history explains failures.
                    var level = ForwardLevel < OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING ? ForwardLevel : OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
                    var options = new EnvironmentCreationOptions { logId = "onnxtransfer", logLevel = level, loggingFunction = LogFunction };
                    s_environment = OrtEnv.CreateInstanceWithOptions(ref options);
                }
                return s_environment;
            }
        }
    }

    /// <summary>A marker for <see cref="Since"/>: the number of lines logged so far.</summary>
    public static long Mark { get { lock (Gate) return s_sequence; } }

    /// <summary>The lines (warning or worse) logged after <paramref name="mark"/>, oldest first.</summary>
    public static IReadOnlyList<string> Since(long mark)
    {
        lock (Gate) return History.Where(entry => entry.Sequence > mark).Select(entry => entry.Line).ToArray();
    }

    private static void OnLog(nint param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        var line = $"onnxruntime {Severity(severity)}: {message}";
        if (severity >= OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING)
        {
            lock (Gate)
            {
                History.Enqueue((++s_sequence, line));
                while (History.Count > HistoryLength) History.Dequeue();
            }
        }
        if (severity >= ForwardLevel) Sink?.Invoke(line);
    }

    private static string Severity(OrtLoggingLevel level) => level switch
    {
        OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE => "verbose",
        OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO => "info",
        OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING => "warning",
        OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR => "error",
        _ => "fatal",
    };

    private static OrtLoggingLevel LevelFromEnvironment() =>
        System.Environment.GetEnvironmentVariable(LevelVariable)?.Trim().ToLowerInvariant() switch
        {
            "verbose" => OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE,
            "info" => OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO,
            "warning" => OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            "fatal" => OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
            _ => OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
}
