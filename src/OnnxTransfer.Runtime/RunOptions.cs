using OnnxTransfer.Runtime.Native;

namespace OnnxTransfer.Runtime;

/// <summary>
/// Per-call settings of <see cref="InferenceSession"/> runs (<c>OrtRunOptions</c>): a log tag, a log level, config
/// entries, and the terminate flag that stops runs using these options at the next node.
/// </summary>
/// <remarks>
/// One instance may be shared by concurrent runs; <see cref="Terminate"/> then stops all of them. A run given a
/// <see cref="CancellationToken"/> sets the flag on cancellation and leaves it set: call <see cref="ResetTerminate"/>
/// before reusing the options.
/// </remarks>
public sealed unsafe class RunOptions : IDisposable
{
    private readonly OrtRunOptionsHandle _handle;
    private volatile bool _terminateRequested;
    private string? _logTag;
    private OrtLoggingLevel? _logLevel;

    public RunOptions()
    {
        var api = OrtLibrary.Shared.Api;
        nint options;
        OrtStatus.Check(api, api.CreateRunOptions(&options));
        _handle = new OrtRunOptionsHandle(options);
    }

    /// <summary>A tag ORT puts in the log lines of runs using these options.</summary>
    public string? LogTag
    {
        get => _logTag;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var api = OrtLibrary.Shared.Api;
            fixed (byte* tag = NativeText.Utf8z(value))
                OrtStatus.Check(api, api.RunOptionsSetRunTag(_handle.Pointer, tag));
            _logTag = value;
        }
    }

    /// <summary>Lowest severity ORT logs during these runs (the environment's level applies when unset).</summary>
    public OrtLoggingLevel? LogLevel
    {
        get => _logLevel;
        set
        {
            if (value is not { } level || !Enum.IsDefined(level))
                throw new ArgumentOutOfRangeException(nameof(value), value, "Use one of Verbose, Info, Warning, Error, Fatal.");
            var api = OrtLibrary.Shared.Api;
            OrtStatus.Check(api, api.RunOptionsSetRunLogSeverityLevel(_handle.Pointer, (int)level));
            _logLevel = level;
        }
    }

    /// <summary>True after <see cref="Terminate"/> (or a cancelled token) until <see cref="ResetTerminate"/>.</summary>
    public bool IsTerminateRequested => _terminateRequested;

    internal OrtRunOptionsHandle Handle => _handle;

    /// <summary>Adds a run config entry (see ORT's <c>onnxruntime_run_options_config_keys.h</c>).</summary>
    public void AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var api = OrtLibrary.Shared.Api;
        fixed (byte* k = NativeText.Utf8z(key))
        fixed (byte* v = NativeText.Utf8z(value))
            OrtStatus.Check(api, api.AddRunConfigEntry(_handle.Pointer, k, v));
    }

    /// <summary>Asks every run using these options to stop; they fail with <see cref="OperationCanceledException"/>.</summary>
    public void Terminate()
    {
        _terminateRequested = true;
        var api = OrtLibrary.Shared.Api;
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            OrtStatus.Check(api, api.RunOptionsSetTerminate(_handle.Pointer));
        }
        catch (ObjectDisposedException)
        {
            // A token cancelled after its run finished and its options were disposed: nothing left to stop.
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    /// <summary>Clears the terminate flag so these options can be used again.</summary>
    public void ResetTerminate()
    {
        var api = OrtLibrary.Shared.Api;
        OrtStatus.Check(api, api.RunOptionsUnsetTerminate(_handle.Pointer));
        _terminateRequested = false;
    }

    public void Dispose() => _handle.Dispose();
}
