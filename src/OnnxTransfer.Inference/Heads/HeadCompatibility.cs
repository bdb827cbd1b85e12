using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Heads;

/// <summary>
/// The one check that a head belongs to a backbone: the head's training-cache fingerprint must equal the backbone's
/// (same model file, feature tensor, pooling and preprocessing), and its input dimension the feature dimension.
/// </summary>
public static class HeadCompatibility
{
    /// <param name="allowFingerprintMismatch">Accept a differing fingerprint with a warning (e.g. a re-exported but
    /// equivalent model); a differing dimension is never accepted.</param>
    /// <param name="warningSink">Receives the warning when a mismatch is allowed, or when the head carries no fingerprint.</param>
    /// <exception cref="HeadMismatchException">The head does not belong to this backbone.</exception>
    public static void Check(BackboneFingerprint backbone, int featureDimension, HeadModel head, bool allowFingerprintMismatch, Action<string>? warningSink)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        if (head.InputDimension != featureDimension)
            throw new HeadMismatchException(
                $"The head '{head.Source}' takes {head.InputDimension}-d features but the backbone gives {featureDimension}-d: it was trained on another " +
                "backbone or feature tensor. Train a head on this backbone's cache.");

        if (head.CacheFingerprintSha256 is null)
        {
            warningSink?.Invoke($"The head '{head.Source}' carries no cache fingerprint, so it cannot be checked against the backbone; only the dimension ({featureDimension}) matches.");
            return;
        }
        if (string.Equals(head.CacheFingerprintSha256, backbone.Sha256, StringComparison.OrdinalIgnoreCase)) return;

        var differences = head.CacheFingerprint?.Differences(backbone) ?? [];
        var detail = differences.Count == 0
            ? $"  fingerprint sha256: head {head.CacheFingerprintSha256}, backbone {backbone.Sha256}"
            : string.Join(Environment.NewLine, differences.Select(d => $"  {d.Field}: head was trained with {d.Expected ?? "(absent)"}, backbone has {d.Actual ?? "(absent)"}"));
        var message =
            $"The head '{head.Source}' was trained on embeddings of another backbone or preprocessing (cache fingerprint {Short(head.CacheFingerprintSha256)}, " +
            $"backbone {Short(backbone.Sha256)}):{Environment.NewLine}{detail}";
        if (!allowFingerprintMismatch)
            throw new HeadMismatchException(
                message + Environment.NewLine + "Use the backbone spec the head's cache was extracted with, or retrain the head; " +
                "if you know the difference is harmless, pass --allow-fingerprint-mismatch.", differences);
        warningSink?.Invoke(message + Environment.NewLine + "Going on because the mismatch was allowed: predictions may be wrong.");
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;
}
