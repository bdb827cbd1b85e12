namespace OnnxTransfer.Runtime;

/// <summary>
/// What we decide about a session, as plain data: threads, the providers in priority order, and what happens when an
/// accelerator cannot start. <see cref="ModelSession.Open(string, SessionSettings)"/> turns it into ONNX Runtime's
/// own <c>SessionOptions</c>; that object lives only while the session is created.
/// </summary>
/// <remarks>
/// A record rather than the native options object: it can be shared, compared and printed with nothing to dispose,
/// and the fallback rule needs to build the native options twice (with the accelerator, then CPU-only).
/// </remarks>
public sealed record SessionSettings
{
    /// <summary>Threads inside one operator (0: one per physical core this process may run on, <see cref="PhysicalCores"/>).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>The thread count ONNX Runtime is given: <see cref="IntraOpThreads"/>, or for 0 the physical cores (0 again, ONNX Runtime's own guess, where they cannot be read).</summary>
    public int EffectiveIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : PhysicalCores.Count ?? 0;

    /// <summary>
    /// Let idle operator threads spin waiting for work. Off by default: decoding and tokenising run on the same cores,
    /// and a spinning inference thread takes their CPU time.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>Providers in priority order; CPU is always the last resort for nodes others cannot run.</summary>
    public IReadOnlyList<ExecutionProvider> ExecutionProviders { get; init; } = [ExecutionProvider.Cpu];

    /// <summary>What happens when a requested accelerator cannot start.</summary>
    public ProviderFallback ProviderFallback { get; init; } = ProviderFallback.Strict;

    /// <summary>Session config entries by ONNX Runtime's key names (<c>onnxruntime_session_options_config_keys.h</c>).</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();

    /// <summary>Receives warnings (a provider fallback, ONNX Runtime's own warnings while the session is built).</summary>
    public Action<string>? WarningSink { get; init; }

    /// <summary>CPU only, or CUDA on <paramref name="deviceId"/> first, the usual choice of every command.</summary>
    public static IReadOnlyList<ExecutionProvider> ProvidersFor(bool cuda, int deviceId) =>
        cuda ? [ExecutionProvider.Cuda(deviceId), ExecutionProvider.Cpu] : [ExecutionProvider.Cpu];

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        if (!Enum.IsDefined(ProviderFallback))
            throw new ArgumentOutOfRangeException(nameof(ProviderFallback), ProviderFallback, "Use Strict or FallbackToCpu.");
        ArgumentNullException.ThrowIfNull(ExecutionProviders, nameof(ExecutionProviders));
        ArgumentNullException.ThrowIfNull(ConfigEntries, nameof(ConfigEntries));
        foreach (var provider in ExecutionProviders)
        {
            if (provider is null) throw new ArgumentException("ExecutionProviders contains null.", nameof(ExecutionProviders));
            provider.Validate();
        }
    }
}

/// <summary>What a session does when a requested execution provider (an accelerator) cannot start.</summary>
public enum ProviderFallback
{
    /// <summary>Refuse to create the session, with an error naming what is missing.</summary>
    Strict,

    /// <summary>Warn (see <see cref="SessionSettings.WarningSink"/>) and run on CPU.</summary>
    FallbackToCpu,
}
