namespace OnnxTransfer.Imaging;

/// <summary>Process-wide libvips settings, applied by <see cref="VipsRuntime.Initialize"/>.</summary>
public sealed record VipsRuntimeSettings
{
    /// <summary>
    /// Threads libvips may use for one image. 1 by default: our pipeline decodes several images at once on its own
    /// workers, and libvips' per-image thread pool on top of that only oversubscribes the cores.
    /// </summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// Drop libvips' warnings (e.g. "Corrupt JPEG data: extraneous bytes") instead of printing them to stderr. Failures
    /// still become exceptions; these are the messages about files that decoded anyway.
    /// </summary>
    public bool SilenceWarnings { get; init; } = true;
}
