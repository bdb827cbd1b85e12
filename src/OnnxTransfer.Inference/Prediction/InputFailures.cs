using OnnxTransfer.Imaging;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>Turns the ways one input can fail into a reason code and message (the same codes as the embedding cache's error rows).</summary>
internal static class InputFailures
{
    /// <summary>The reason for <paramref name="e"/>, or null when it is not an input's fault (then it must propagate).</summary>
    public static (string Reason, string Message)? Describe(Exception e, string input) => e switch
    {
        ImageDecodeException decode => (decode.ReasonCode, decode.Message),
        FileNotFoundException or DirectoryNotFoundException => ("not-found", $"{input}: no such file"),
        IOException or UnauthorizedAccessException => ("io-error", $"{input}: {e.Message}"),
        // Not expected from a well-formed decoder call; recorded so that one odd file never stops a long run.
        VipsException or ArgumentException or InvalidOperationException => ("decode-failed", $"{input}: {e.GetType().Name}: {e.Message}"),
        _ => null,
    };
}
