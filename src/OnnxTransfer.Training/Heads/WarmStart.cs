using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Heads;

/// <summary>
/// Starting a fit from an existing head. The head's first layer works on features standardised with its own statistics;
/// a new fit standardises with the new training split's, so the layer is re-expressed exactly for the new coordinates:
/// with u = (x − m₂)/s₂, <c>W₁·((x − m₁)/s₁) + b₁ = (W₁·s₂/s₁)·u + b₁ + W₁·((m₂ − m₁)/s₁)</c>.
/// </summary>
internal static class WarmStart
{
    /// <summary>Checks that <paramref name="head"/> can seed a fit of <paramref name="kind"/> on <paramref name="train"/>.</summary>
    public static void CheckCompatible(Head head, string kind, LabelledRows train, FeaturePreprocessing target)
    {
        if (head.Kind != kind)
            throw new ArgumentException($"Warm start needs a '{kind}' head, got a '{head.Kind}' head.", nameof(head));
        if (head.InputDimension != train.Dimension)
            throw new TrainingDataException(
                $"The warm-start head takes {head.InputDimension}-d features but split '{train.Name}' has {train.Dimension}-d: it comes from another backbone.", train.Name);
        if (!head.Labels.SequenceEqual(train.Classes, StringComparer.Ordinal))
            throw new TrainingDataException(
                $"The warm-start head's labels [{string.Join(", ", head.Labels)}] differ from split '{train.Name}''s classes [{string.Join(", ", train.Classes)}]; " +
                "warm start needs the same label list.", train.Name);
        if (head.Preprocessing.L2Normalize != target.L2Normalize)
            throw new ArgumentException(
                "The warm-start head and this fit differ in L2 normalisation, so its weights cannot be carried over; use the same Preprocessing setting.", nameof(head));
    }

    /// <summary>
    /// The head as its fit left it: a calibrated head's last layer holds the fit's weights divided by T, so a warm start
    /// multiplies them back (else it would start T away from the optimum it came from).
    /// </summary>
    public static Head Uncalibrated(Head head) =>
        head.Training?.Calibration is { Temperature: var t } && t != 1 ? Calibration.TemperatureScaling.WithTemperature(head, 1 / t) : head;

    /// <summary>The first layer's weights and bias re-expressed for <paramref name="target"/>'s standardisation (double).</summary>
    public static (double[] Weights, double[] Bias) FirstLayerFor(Head head, FeaturePreprocessing target)
    {
        var layer = head.Layers[0];
        int d = layer.InputCount, outputs = layer.OutputCount;
        var source = head.Preprocessing;
        var weights = new double[outputs * d];
        var bias = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double shift = layer.Bias[o];
            for (int j = 0; j < d; j++)
            {
                double m1 = source.Mean?[j] ?? 0, s1 = source.Scale?[j] ?? 1;
                double m2 = target.Mean?[j] ?? 0, s2 = target.Scale?[j] ?? 1;
                double w = layer.Weights[o * d + j];
                weights[o * d + j] = w * s2 / s1;
                shift += w * (m2 - m1) / s1;
            }
            bias[o] = shift;
        }
        return (weights, bias);
    }
}
