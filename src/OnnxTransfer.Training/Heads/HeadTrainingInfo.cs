namespace OnnxTransfer.Training.Heads;

/// <summary>
/// How a head was trained, as plain data for reports and the ONNX metadata: the settings as ordered name/value pairs,
/// the training split's size, and the optimiser's account (L-BFGS convergence or MLP learning curves).
/// </summary>
public sealed class HeadTrainingInfo
{
    /// <summary>Settings as ordered (name, invariant-culture value) pairs, e.g. ("C", "1"), ("tolerance", "0.0001").</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; }

    /// <summary>Rows the head was fitted on (after any validation carve-out), and per class, indexed like the labels.</summary>
    public required int TrainingRows { get; init; }

    public required IReadOnlyList<int> TrainingRowsPerClass { get; init; }

    /// <summary>L-BFGS account (softmax regression).</summary>
    public OptimizationReport? Optimization { get; init; }

    /// <summary>Per-epoch learning curves and the restored epoch (MLP).</summary>
    public MlpTrainingHistory? History { get; init; }

    /// <summary>Wall-clock seconds the fit took.</summary>
    public double Seconds { get; init; }

    /// <summary>The temperature folded into the last layer after the fit, and what it did on held-out rows; null = uncalibrated.</summary>
    public Calibration.CalibrationReport? Calibration { get; init; }
}

/// <summary>The optimiser's account of a fit: where it stopped and why.</summary>
public sealed record OptimizationReport
{
    /// <summary>L-BFGS iterations taken.</summary>
    public required int Iterations { get; init; }

    /// <summary>Objective and gradient evaluations (each is one pass over the data).</summary>
    public required int FunctionEvaluations { get; init; }

    /// <summary>Final objective value (mean weighted log-loss + L2 term; see SoftmaxRegressionSettings).</summary>
    public required double Objective { get; init; }

    /// <summary>Final ‖∇f‖∞ of that objective.</summary>
    public required double GradientMaxNorm { get; init; }

    /// <summary>The tolerance on ‖∇f‖∞ that counts as converged.</summary>
    public required double Tolerance { get; init; }

    /// <summary>True when ‖∇f‖∞ ≤ tolerance at the end.</summary>
    public required bool Converged { get; init; }

    /// <summary>Why it stopped: "gradient tolerance reached", "iteration limit", "no further decrease possible"…</summary>
    public required string StopReason { get; init; }
}

/// <summary>One MLP epoch: mean training loss, validation loss/accuracy (NaN without a validation split), learning rate.</summary>
public readonly record struct EpochRecord(int Epoch, double TrainLoss, double ValidationLoss, double ValidationAccuracy, double LearningRate);

/// <summary>MLP learning curves and early-stopping outcome.</summary>
public sealed class MlpTrainingHistory
{
    public required IReadOnlyList<EpochRecord> Epochs { get; init; }

    /// <summary>The epoch whose weights the head holds (1-based): the best validation loss, or the last epoch.</summary>
    public required int BestEpoch { get; init; }

    /// <summary>True when training stopped before the epoch limit because validation loss stopped improving.</summary>
    public required bool StoppedEarly { get; init; }

    public required int ValidationRows { get; init; }
}
