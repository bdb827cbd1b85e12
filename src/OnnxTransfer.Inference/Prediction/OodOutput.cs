using System.Globalization;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// A head's or fused model's out-of-distribution output (<see cref="ModelLayout.OodScoreOutput"/>): the method and the
/// threshold above which an input counts as out-of-distribution, from the model's metadata.
/// </summary>
public sealed record OodOutput(string Method, float Threshold)
{
    /// <summary>The OOD output a model declares, or null when it has no <c>ood_score</c> output.</summary>
    /// <exception cref="InferenceException">The output is there but its threshold metadata is missing or unreadable.</exception>
    public static OodOutput? Read(Func<string, string?> metadata, bool hasOutput, string source)
    {
        if (!hasOutput) return null;
        var method = metadata(MetadataKeys.OodMethod) ?? "unknown";
        var text = metadata(MetadataKeys.OodThreshold);
        if (text is null || !float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold) || !float.IsFinite(threshold))
            throw new InferenceException($"'{source}' has an '{ModelLayout.OodScoreOutput}' output but no readable {MetadataKeys.OodThreshold} metadata; train the head again with --ood.");
        return new OodOutput(method, threshold);
    }

    /// <summary>Whether <paramref name="score"/> is above the threshold.</summary>
    public bool Flags(float score) => score > Threshold;
}
