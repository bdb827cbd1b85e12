using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Heads;

/// <summary>
/// The head was trained on embeddings of another backbone or preprocessing (its cache fingerprint differs from the
/// backbone's), or takes features of another dimension. Its predictions on this backbone would be meaningless.
/// </summary>
public sealed class HeadMismatchException : InferenceException
{
    public HeadMismatchException(string message, IReadOnlyList<FingerprintDifference>? differences = null) : base(message) =>
        Differences = differences ?? [];

    /// <summary>Expected = the head's training cache, actual = this backbone (empty for a dimension mismatch).</summary>
    public IReadOnlyList<FingerprintDifference> Differences { get; }
}
