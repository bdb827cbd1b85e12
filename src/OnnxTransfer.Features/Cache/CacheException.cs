using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Cache;

/// <summary>A cache folder cannot be used as asked (not a cache, damaged, locked by another run); the message names the fix.</summary>
public class CacheException : OnnxTransferException
{
    public CacheException(string message) : base(message) { }

    public CacheException(string message, Exception innerException) : base(message, innerException: innerException) { }
}

/// <summary>
/// The cache holds embeddings of another backbone or preprocessing. Mixing them would silently corrupt every head
/// trained on it, so the run is refused; <see cref="Differences"/> says which settings differ.
/// </summary>
public sealed class CacheFingerprintMismatchException : CacheException
{
    public CacheFingerprintMismatchException(string directory, BackboneFingerprint cached, BackboneFingerprint requested)
        : base(BuildMessage(directory, cached, requested))
    {
        Directory = directory;
        Cached = cached;
        Requested = requested;
        Differences = cached.Differences(requested);
    }

    public string Directory { get; }

    public BackboneFingerprint Cached { get; }

    public BackboneFingerprint Requested { get; }

    /// <summary>Expected = the cache's value, actual = this run's.</summary>
    public IReadOnlyList<FingerprintDifference> Differences { get; }

    private static string BuildMessage(string directory, BackboneFingerprint cached, BackboneFingerprint requested)
    {
        var lines = cached.Differences(requested).Select(d => $"  {d.Field}: cache has {d.Expected ?? "(absent)"}, this run has {d.Actual ?? "(absent)"}");
        return $"The cache '{directory}' holds embeddings of another backbone or preprocessing (fingerprint {cached.Sha256[..12]}…, this run " +
               $"{requested.Sha256[..12]}…); they must not be mixed. Differences:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}{Environment.NewLine}" +
               "Extract into another folder, or pass --new-cache to replace this cache.";
    }
}

/// <summary>
/// The cache's embeddings were computed with other numerics (provider or precision) than this run's: same backbone and
/// preprocessing, measurably different numbers. Refused before any work unless the mix is allowed explicitly.
/// </summary>
public sealed class CacheNumericsMismatchException : CacheException
{
    public CacheNumericsMismatchException(string directory, IReadOnlyList<EmbeddingNumerics> cached, EmbeddingNumerics requested)
        : base(BuildMessage(directory, cached, requested))
    {
        Directory = directory;
        Cached = cached;
        Requested = requested;
    }

    public string Directory { get; }

    public IReadOnlyList<EmbeddingNumerics> Cached { get; }

    public EmbeddingNumerics Requested { get; }

    private static string BuildMessage(string directory, IReadOnlyList<EmbeddingNumerics> cached, EmbeddingNumerics requested) =>
        $"The cache '{directory}' holds embeddings computed with {string.Join(" and ", cached.Select(n => n.Describe()))}; this run computes " +
        $"with {requested.Describe()}. Same backbone, different numbers (a quantised model differs most between CPU and CUDA), so parts are " +
        "not added. Run where the cache was made (same --device and --precision), extract into another folder, or pass " +
        "--allow-mixed-numerics to add them anyway (the manifest then lists every numerics; `onnxtransfer verify` measures the difference).";
}
