using System.Diagnostics;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// What every selection (grid sweeps, the softmax path search) shares: how candidates are held out, what they are
/// ranked by, where the fits run, and the result they hand back. Checked when the selection is built.
/// </summary>
internal sealed class SelectionRules
{
    public SelectionRules(ValidationScheme? validation, SelectionMetric metric, ComputeOptions? compute)
    {
        Validation = validation ?? ValidationScheme.KFold();
        Validation.Validate();
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown selection metric.");
        Metric = metric;
        Compute = compute ?? ComputeOptions.Default;
        Compute.CreateContext();
    }

    public ValidationScheme Validation { get; }

    public SelectionMetric Metric { get; }

    public ComputeOptions Compute { get; }

    /// <summary>The scheme in words, or the explicit validation split that replaced it.</summary>
    public string Describe(TrainingData? validation) => validation is null ? Validation.Describe() : $"validation split '{validation.Name}'";

    /// <summary>The scored candidates and the head refitted with the best one.</summary>
    public SweepResult Result(string validation, SweepPoint[] points, int best, Head refit, Stopwatch stopwatch) => new()
    {
        Metric = Metric,
        Validation = validation,
        Points = points,
        BestIndex = best,
        Head = refit,
        Seconds = stopwatch.Elapsed.TotalSeconds,
    };

    /// <summary>
    /// The (fit, held-out) pairs a candidate is scored on: the explicit validation split, or the scheme's folds carved
    /// out of the training split (which must be trainable).
    /// </summary>
    public List<(TrainingData Fit, TrainingData HeldOut)> Partitions(TrainingData train, TrainingData? validation)
    {
        TrainingChecks.RequireTrainable(train);
        if (validation is not null)
        {
            if (validation.Dimension != train.Dimension)
                throw new TrainingDataException(
                    $"Validation split '{validation.Name}' has {validation.Dimension}-d embeddings, training split '{train.Name}' {train.Dimension}-d.", validation.Name);
            return [(train, validation.WithClasses(train.Classes))];
        }
        var partitions = Validation.Partitions(train.Labelled);
        var result = new List<(TrainingData, TrainingData)>(partitions.Count);
        for (int fold = 0; fold < partitions.Count; fold++)
        {
            var (fitRows, heldOutRows) = partitions[fold];
            string name = partitions.Count == 1 ? $"{train.Name}/holdout" : $"{train.Name}/fold{fold + 1}";
            result.Add((train.Subset(fitRows, name + "-train"), train.Subset(heldOutRows, name)));
        }
        return result;
    }
}
