using OnnxTransfer.Runtime.Native;

namespace OnnxTransfer.Runtime;

/// <summary>
/// ONNX Runtime's process-wide environment (logging, optional global thread pools), created on first use. ORT allows
/// one per process, so it is configured once with <see cref="Configure"/> before any session exists, and lives until
/// the process ends (its handle is deliberately never released: sessions may be finalised after any static teardown).
/// </summary>
public sealed unsafe class OrtEnvironment
{
    private static readonly Lock Gate = new();
    private static OrtEnvironmentOptions s_options = new();
    private static volatile OrtEnvironment? s_shared;

    private readonly OrtEnvHandle _handle;

    private OrtEnvironment(OrtLibrary library, OrtEnvironmentOptions options)
    {
        Library = library;
        Options = options;
        var api = library.Api;
        var logId = NativeText.Utf8z(options.LogId);
        nint env;
        fixed (byte* logIdPointer = logId)
        {
            if (options.GlobalThreadPools is { } pools)
            {
                nint threading;
                OrtStatus.Check(api, api.CreateThreadingOptions(&threading));
                using var threadingHandle = new OrtThreadingOptionsHandle(threading);
                OrtStatus.Check(api, api.SetGlobalIntraOpNumThreads(threading, pools.IntraOpThreads));
                OrtStatus.Check(api, api.SetGlobalInterOpNumThreads(threading, pools.InterOpThreads));
                OrtStatus.Check(api, api.SetGlobalSpinControl(threading, pools.AllowSpinning ? 1 : 0));
                OrtStatus.Check(api, api.CreateEnvWithGlobalThreadPools((int)options.LogLevel, logIdPointer, threading, &env));
            }
            else
            {
                OrtStatus.Check(api, api.CreateEnv((int)options.LogLevel, logIdPointer, &env));
            }
        }
        _handle = new OrtEnvHandle(env);
    }

    /// <summary>The environment, created on first access with the options given to <see cref="Configure"/> (or defaults).</summary>
    public static OrtEnvironment Shared => s_shared ?? CreateShared();

    /// <summary>Whether the environment exists already.</summary>
    public static bool IsCreated => s_shared is not null;

    /// <summary>
    /// Sets the environment's options. Must come before the first session (or <see cref="Shared"/>) is created;
    /// afterwards only the same options are accepted, since ORT cannot change them in a running process.
    /// </summary>
    public static void Configure(OrtEnvironmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (Gate)
        {
            if (s_shared is { } created && created.Options != options)
                throw new InvalidOperationException(
                    $"The ONNX Runtime environment was already created with {created.Options}; configure it before the first session is created.");
            s_options = options;
        }
    }

    public OrtLibrary Library { get; }

    public OrtEnvironmentOptions Options { get; }

    /// <summary>True when sessions can share the environment's global intra-/inter-op thread pools.</summary>
    public bool HasGlobalThreadPools => Options.GlobalThreadPools is not null;

    internal nint Pointer => _handle.Pointer;

    private static OrtEnvironment CreateShared()
    {
        lock (Gate)
        {
            return s_shared ??= new OrtEnvironment(OrtLibrary.Shared, s_options);
        }
    }
}

/// <summary>Settings of the process-wide <see cref="OrtEnvironment"/>.</summary>
public sealed record OrtEnvironmentOptions
{
    /// <summary>
    /// Lowest severity ORT logs (to stderr). Defaults to <see cref="OrtLoggingLevel.Error"/>: at Warning level, common
    /// exported models (the shared MobileNetV2 among them) print dozens of harmless "removing unused initializer" lines.
    /// </summary>
    public OrtLoggingLevel LogLevel { get; init; } = OrtLoggingLevel.Error;

    /// <summary>The identifier ORT prefixes its log lines with.</summary>
    public string LogId { get; init; } = "onnxtransfer";

    /// <summary>When set, the environment owns thread pools that every session shares instead of creating its own
    /// (<c>CreateEnvWithGlobalThreadPools</c>); useful when many sessions live in one process.</summary>
    public GlobalThreadPoolOptions? GlobalThreadPools { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(LogLevel)) throw new ArgumentOutOfRangeException(nameof(LogLevel), LogLevel, "Use one of Verbose, Info, Warning, Error, Fatal.");
        ArgumentException.ThrowIfNullOrWhiteSpace(LogId, nameof(LogId));
        GlobalThreadPools?.Validate();
    }
}

/// <summary>Sizes of the environment's shared thread pools; 0 lets ORT choose (one thread per physical core).</summary>
public sealed record GlobalThreadPoolOptions
{
    public int IntraOpThreads { get; init; }

    public int InterOpThreads { get; init; }

    /// <summary>Whether idle pool threads spin before sleeping: lower latency, more CPU burned while waiting.</summary>
    public bool AllowSpinning { get; init; } = true;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(InterOpThreads, nameof(InterOpThreads));
    }
}

/// <summary>ORT's <c>OrtLoggingLevel</c>.</summary>
public enum OrtLoggingLevel
{
    Verbose = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
}
