namespace OnnxTransfer.Runtime;

/// <summary>
/// How an <see cref="InferenceSession"/> is built: threads, graph optimisation, execution providers, config entries.
/// </summary>
/// <remarks>
/// An immutable settings record rather than a wrapper around a native <c>OrtSessionOptions</c>: it can be shared by
/// many sessions and threads, compared, printed and kept in configuration without anything to dispose, and the
/// provider fallback rule needs to rebuild the native options anyway (once with the accelerator, once CPU-only). The
/// native object exists only while a session is being created.
/// </remarks>
public sealed record SessionOptions
{
    /// <summary>Threads used inside one operator (0: ORT's default, one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads used across independent operators when <see cref="ExecutionMode"/> is Parallel (0: ORT's default).</summary>
    public int InterOpThreads { get; init; }

    public GraphOptimizationLevel GraphOptimizationLevel { get; init; } = GraphOptimizationLevel.All;

    public ExecutionMode ExecutionMode { get; init; } = ExecutionMode.Sequential;

    /// <summary>When set, ORT writes the optimised graph there (useful to inspect what optimisation did, or to load
    /// the optimised model faster next time with <see cref="GraphOptimizationLevel.DisableAll"/>).</summary>
    public string? OptimizedModelPath { get; init; }

    /// <summary>Session config entries (keys of ORT's <c>onnxruntime_session_options_config_keys.h</c>).</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();

    /// <summary>Providers in priority order; CPU is always available as the last resort for nodes others cannot run.</summary>
    public IReadOnlyList<ExecutionProvider> ExecutionProviders { get; init; } = [ExecutionProvider.Cpu];

    /// <summary>What happens when a requested accelerator cannot start.</summary>
    public ProviderFallback ProviderFallback { get; init; } = ProviderFallback.Strict;

    /// <summary>Receives warnings (e.g. a provider fallback) as they happen; they are also kept in
    /// <see cref="InferenceSession.Warnings"/>.</summary>
    public Action<string>? WarningSink { get; init; }

    /// <summary>Share the environment's global thread pools (null: exactly when the environment has them).</summary>
    public bool? UseGlobalThreadPools { get; init; }

    /// <summary>ORT's CPU memory arena: faster repeated runs, memory held between runs.</summary>
    public bool EnableCpuMemoryArena { get; init; } = true;

    /// <summary>Identifier in this session's log lines.</summary>
    public string? LogId { get; init; }

    /// <summary>Lowest severity this session logs (the environment's level when null).</summary>
    public OrtLoggingLevel? LogLevel { get; init; }

    internal void Validate(OrtEnvironment environment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(InterOpThreads, nameof(InterOpThreads));
        if (!Enum.IsDefined(GraphOptimizationLevel))
            throw new ArgumentOutOfRangeException(nameof(GraphOptimizationLevel), GraphOptimizationLevel, "Use DisableAll, Basic, Extended, Layout or All.");
        if (!Enum.IsDefined(ExecutionMode))
            throw new ArgumentOutOfRangeException(nameof(ExecutionMode), ExecutionMode, "Use Sequential or Parallel.");
        if (!Enum.IsDefined(ProviderFallback))
            throw new ArgumentOutOfRangeException(nameof(ProviderFallback), ProviderFallback, "Use Strict or FallbackToCpu.");
        if (LogLevel is { } level && !Enum.IsDefined(level))
            throw new ArgumentOutOfRangeException(nameof(LogLevel), level, "Use one of Verbose, Info, Warning, Error, Fatal.");
        ArgumentNullException.ThrowIfNull(ConfigEntries, nameof(ConfigEntries));
        ArgumentNullException.ThrowIfNull(ExecutionProviders, nameof(ExecutionProviders));
        foreach (var provider in ExecutionProviders)
        {
            if (provider is null) throw new ArgumentException("ExecutionProviders contains null.", nameof(ExecutionProviders));
            provider.Validate();
        }
        if (UseGlobalThreadPools == true && !environment.HasGlobalThreadPools)
            throw new ArgumentException(
                "UseGlobalThreadPools is set but the ONNX Runtime environment has no global thread pools: configure them with " +
                "OrtEnvironment.Configure(new OrtEnvironmentOptions { GlobalThreadPools = ... }) before the first session.",
                nameof(UseGlobalThreadPools));
        if (UsesGlobalThreadPools(environment) && (IntraOpThreads != 0 || InterOpThreads != 0))
            throw new ArgumentException(
                "IntraOpThreads/InterOpThreads are set but this session uses the environment's global thread pools: size them in " +
                "OrtEnvironmentOptions.GlobalThreadPools, or set UseGlobalThreadPools = false for per-session threads.",
                nameof(IntraOpThreads));
    }

    internal bool UsesGlobalThreadPools(OrtEnvironment environment) => UseGlobalThreadPools ?? environment.HasGlobalThreadPools;
}

/// <summary>ORT's <c>GraphOptimizationLevel</c>.</summary>
public enum GraphOptimizationLevel
{
    DisableAll = 0,
    Basic = 1,
    Extended = 2,
    Layout = 3,
    All = 99,
}

/// <summary>ORT's <c>ExecutionMode</c>: run operators one after another, or independent branches in parallel.</summary>
public enum ExecutionMode
{
    Sequential = 0,
    Parallel = 1,
}

/// <summary>What a session does when a requested execution provider (an accelerator) cannot start.</summary>
public enum ProviderFallback
{
    /// <summary>Refuse to create the session, with an error naming what is missing.</summary>
    Strict,

    /// <summary>Warn (see <see cref="SessionOptions.WarningSink"/>) and run on CPU.</summary>
    FallbackToCpu,
}
