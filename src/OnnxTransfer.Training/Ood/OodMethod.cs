namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The out-of-distribution scores a head can carry, each oriented so that higher means more out-of-distribution.
/// </summary>
public static class OodMethod
{
    /// <summary>No score: the head keeps its two outputs (the default, see the Training README for why).</summary>
    public const string None = "none";

    /// <summary>Smallest squared Mahalanobis distance to a class mean in feature space (<see cref="MahalanobisSummary"/>).</summary>
    public const string Mahalanobis = "mahalanobis";

    /// <summary>Negative free energy of the logits, <c>−logsumexp(logits)</c>: no parameters beyond the head's.</summary>
    public const string Energy = "energy";

    /// <summary>Negative maximum softmax probability, <c>−max p</c>: no parameters beyond the head's.</summary>
    public const string MaxSoftmax = "msp";

    public static IReadOnlyList<string> All { get; } = [None, Mahalanobis, Energy, MaxSoftmax];

    /// <summary>Whether <paramref name="method"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string? method) => method is not null && All.Contains(method);
}
