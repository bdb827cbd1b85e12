using OnnxTransfer.Features.Backbones;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>Turns the ways one input can fail into a reason code and message (the backbone's: the same codes as the embedding cache's error rows).</summary>
internal static class InputFailures
{
    /// <summary>The reason for <paramref name="e"/>, or null when it is not an input's fault (then it must propagate).</summary>
    public static (string Reason, string Message)? Describe(Exception e, string input) =>
        ImageInputReader.DescribeFailure(e, input) is { } failure ? (failure.Code, failure.Message) : null;
}
