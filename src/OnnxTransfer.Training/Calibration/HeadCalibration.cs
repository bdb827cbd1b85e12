using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Calibration;

/// <summary>
/// Where each head kind finds held-out logits of the training split for <see cref="TemperatureScaling"/>: softmax
/// regression uses the out-of-fold logits of the cross-validation that chose C (<see cref="SoftmaxPathSearch"/>); an MLP
/// uses its early-stopping carve-out (the same seeded stratified share of the training split it never trained on).
/// </summary>
public static class HeadCalibration
{
    /// <summary>A calibrated head, or the head unchanged and why (<see cref="Skipped"/>: too few held-out rows to fit T).</summary>
    public readonly record struct Outcome(Head Head, string? Skipped);

    /// <summary>Softmax regression: T fitted on the out-of-fold logits of the search's folds.</summary>
    public static Outcome Calibrate(Head head, SoftmaxPathSearch.OutOfFold outOfFold, string validation)
    {
        ArgumentNullException.ThrowIfNull(outOfFold);
        return Fit(head, outOfFold.Logits, outOfFold.Labels, $"out-of-fold logits of the {validation}");
    }

    private static Outcome Fit(Head head, float[] logits, int[] labels, string heldOut) =>
        labels.Length < TemperatureScaling.MinimumRows
            ? new Outcome(head, $"not calibrated: {labels.Length} held-out rows ({heldOut}) are too few to fit a temperature (at least {TemperatureScaling.MinimumRows})")
            : new Outcome(TemperatureScaling.Calibrate(head, logits, labels, heldOut), null);

    /// <summary>An MLP fitted on <paramref name="train"/> with <paramref name="settings"/>: T fitted on its early-stopping carve-out.</summary>
    /// <exception cref="ArgumentException">The settings hold out no rows (ValidationFraction 0), so nothing unseen is left to fit T on.</exception>
    public static Outcome CalibrateMlp(Head head, TrainingData train, MlpSettings settings, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var heldOut = CarveOut(train.Labelled, settings);
        var rows = train.Subset(heldOut, train.Name + "/validation");
        return Fit(head, head.Logits(rows, compute), rows.LabelArray, Describe(heldOut.Length, settings));
    }

    private static int[] CarveOut(LabelledRows train, MlpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ValidationFraction == 0)
            throw new ArgumentException("Temperature calibration of an MLP needs its held-out share of the training split; set ValidationFraction > 0 (e.g. 0.1) or calibrate none.", nameof(settings));
        var (_, heldOut) = StratifiedSplit.HoldOut(train, settings.ValidationFraction, settings.Seed);
        if (heldOut.Length == 0)
            throw new ArgumentException($"A hold-out of {settings.ValidationFraction} leaves no rows of split '{train.Name}' to calibrate on; use a larger ValidationFraction or calibrate none.", nameof(settings));
        return heldOut;
    }

    private static string Describe(int rows, MlpSettings settings) =>
        $"the MLP's early-stopping carve-out, {settings.ValidationFraction:0.##} of the training split it was not trained on";
}
