namespace OnnxTransfer.Inference.Prediction;

/// <summary>One label and its probability.</summary>
public readonly record struct LabelProbability(string Label, int Index, float Probability);

/// <summary>
/// What the model says about one input: the most probable label, the top-k, and every class probability — or, for an
/// input that could not be read, the reason (a short code such as <c>not-found</c> or <c>truncated</c>) and a message.
/// </summary>
public sealed class Prediction
{
    private static readonly LabelProbability[] None = [];

    private Prediction(string input, int labelIndex, string? label, float probability, LabelProbability[] topK, float[]? probabilities,
        string? errorReason, string? errorMessage, float? oodScore = null, bool? outOfDistribution = null)
    {
        OodScore = oodScore;
        OutOfDistribution = outOfDistribution;
        Input = input;
        LabelIndex = labelIndex;
        Label = label;
        Probability = probability;
        TopK = topK;
        Probabilities = probabilities;
        ErrorReason = errorReason;
        ErrorMessage = errorMessage;
    }

    /// <summary>The input's name: its path, or the name given with bytes or pixels.</summary>
    public string Input { get; }

    /// <summary>Index of the predicted label (-1 for a failed input).</summary>
    public int LabelIndex { get; }

    /// <summary>The predicted label; null for a failed input.</summary>
    public string? Label { get; }

    /// <summary>Probability of the predicted label (NaN for a failed input).</summary>
    public float Probability { get; }

    /// <summary>The most probable labels, best first (ties: the lower index first); empty for a failed input.</summary>
    public IReadOnlyList<LabelProbability> TopK { get; }

    /// <summary>Every class probability, in label order; null for a failed input.</summary>
    public IReadOnlyList<float>? Probabilities { get; }

    /// <summary>Null when the input was scored; else a short reason code.</summary>
    public string? ErrorReason { get; }

    public string? ErrorMessage { get; }

    public bool Succeeded => ErrorReason is null;

    /// <summary>The model's OOD score (higher = less like the training data); null when it has none or the input failed.</summary>
    public float? OodScore { get; }

    /// <summary>Whether <see cref="OodScore"/> is above the model's threshold; null when there is no score.</summary>
    public bool? OutOfDistribution { get; }

    internal static Prediction Scored(string input, IReadOnlyList<string> labels, ReadOnlySpan<float> probabilities, int topK,
        (float Score, OodOutput Output)? ood = null)
    {
        var top = TopKSelection.Select(probabilities, Math.Min(topK, probabilities.Length));
        var entries = new LabelProbability[top.Length];
        for (var i = 0; i < top.Length; i++) entries[i] = new LabelProbability(labels[top[i]], top[i], probabilities[top[i]]);
        return new Prediction(input, top[0], labels[top[0]], probabilities[top[0]], entries, probabilities.ToArray(), null, null,
            ood?.Score, ood is { } o ? o.Output.Flags(o.Score) : null);
    }

    internal static Prediction Failed(string input, string reason, string message) =>
        new(input, -1, null, float.NaN, None, null, reason, message);

    public override string ToString() => Succeeded ? $"{Input}: {Label} ({Probability:P1})" : $"{Input}: error {ErrorReason}: {ErrorMessage}";
}
