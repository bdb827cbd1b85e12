using System.Globalization;

namespace OnnxTransfer.Training.Mlp;

/// <summary>How the learning rate changes over training after the optional warm-up.</summary>
public enum ScheduleKind { Constant, Cosine, Step }

/// <summary>
/// Learning-rate schedule, evaluated per optimiser step: a linear warm-up from lr/W to lr over the first
/// <see cref="WarmupEpochs"/> epochs, then constant, cosine annealing to <c>lr·MinimumFactor</c> at the last step, or
/// step decay by <see cref="Gamma"/> every <see cref="StepEpochs"/> epochs.
/// </summary>
public sealed record LearningRateSchedule
{
    public ScheduleKind Kind { get; init; } = ScheduleKind.Constant;

    /// <summary>Warm-up length in epochs (fractions allowed; 0 = none).</summary>
    public double WarmupEpochs { get; init; }

    /// <summary>Cosine: the final learning rate as a fraction of the base one.</summary>
    public double MinimumFactor { get; init; }

    /// <summary>Step: epochs between decays.</summary>
    public int StepEpochs { get; init; } = 10;

    /// <summary>Step: multiplier applied at each decay.</summary>
    public double Gamma { get; init; } = 0.1;

    public static LearningRateSchedule Constant { get; } = new();

    public static LearningRateSchedule Cosine(double warmupEpochs = 0, double minimumFactor = 0) =>
        new() { Kind = ScheduleKind.Cosine, WarmupEpochs = warmupEpochs, MinimumFactor = minimumFactor };

    public static LearningRateSchedule StepDecay(int stepEpochs, double gamma, double warmupEpochs = 0) =>
        new() { Kind = ScheduleKind.Step, StepEpochs = stepEpochs, Gamma = gamma, WarmupEpochs = warmupEpochs };

    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown schedule kind.");
        if (!(WarmupEpochs >= 0) || !double.IsFinite(WarmupEpochs))
            throw new ArgumentOutOfRangeException(nameof(WarmupEpochs), WarmupEpochs, "WarmupEpochs must be ≥ 0 (e.g. 1).");
        if (!(MinimumFactor >= 0 && MinimumFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinimumFactor), MinimumFactor, "MinimumFactor must be within 0..1 (e.g. 0.01).");
        if (StepEpochs < 1) throw new ArgumentOutOfRangeException(nameof(StepEpochs), StepEpochs, "StepEpochs must be at least 1.");
        if (!(Gamma > 0 && Gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Gamma must be within (0, 1] (e.g. 0.1).");
    }

    /// <summary>The learning rate at 0-based <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public double At(double baseRate, int step, int stepsPerEpoch, int totalSteps)
    {
        int warmup = (int)Math.Round(WarmupEpochs * stepsPerEpoch);
        if (step < warmup) return baseRate * (step + 1) / warmup;
        switch (Kind)
        {
            case ScheduleKind.Cosine:
                int span = Math.Max(1, totalSteps - warmup - 1);
                double progress = Math.Min(1.0, (double)(step - warmup) / span);
                double minimum = baseRate * MinimumFactor;
                return minimum + (baseRate - minimum) * 0.5 * (1 + Math.Cos(Math.PI * progress));
            case ScheduleKind.Step:
                int epoch = step / stepsPerEpoch;
                return baseRate * Math.Pow(Gamma, epoch / StepEpochs);
            default:
                return baseRate;
        }
    }

    public override string ToString()
    {
        var culture = CultureInfo.InvariantCulture;
        string warmup = WarmupEpochs > 0 ? $", warmup {WarmupEpochs.ToString(culture)} epochs" : "";
        return Kind switch
        {
            ScheduleKind.Cosine => $"cosine(min {MinimumFactor.ToString(culture)}{warmup})",
            ScheduleKind.Step => $"step(every {StepEpochs} epochs × {Gamma.ToString(culture)}{warmup})",
            _ => $"constant{(warmup.Length > 0 ? "(" + warmup[2..] + ")" : "")}",
        };
    }
}
