using System.Diagnostics;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.Linear;

/// <summary>
/// Multinomial (softmax) logistic regression with L2, fitted by L-BFGS on float rows through BLAS. Settings in the
/// constructor, <see cref="Fit"/> returns the learned <see cref="Head"/> (one dense layer) with its convergence report.
/// </summary>
public sealed class SoftmaxRegressionTrainer
{
    private readonly ComputeOptions _compute;

    /// <exception cref="ArgumentOutOfRangeException">An invalid setting (the message gives a valid range).</exception>
    public SoftmaxRegressionTrainer(SoftmaxRegressionSettings? settings = null, ComputeOptions? compute = null)
    {
        Settings = settings ?? new SoftmaxRegressionSettings();
        Settings.Validate();
        _compute = compute ?? ComputeOptions.Default;
        _compute.CreateContext();
    }

    public SoftmaxRegressionSettings Settings { get; }

    /// <summary>
    /// Fits on <paramref name="train"/>. With <paramref name="warmStart"/> (a softmax-regression head over the same
    /// labels and dimension) L-BFGS starts from its weights, re-expressed in this fit's standardisation. A streamed split
    /// takes two streaming passes for the statistics, then one per L-BFGS evaluation, accumulating the full gradient over
    /// the chunks in order: the head equals the one learnt from the same rows loaded into memory.
    /// </summary>
    /// <exception cref="TrainingDataException">One class only, a class without rows, or a mismatched warm start.</exception>
    public Head Fit(TrainingData train, Head? warmStart = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var stopwatch = Stopwatch.StartNew();
        var context = _compute.CreateContext();
        var prepared = new PreparedSplit(train, Settings.Preprocessing, Settings.ClassWeights, context, oversamplingSeed: Settings.OversamplingSeed);
        return Fit(prepared, Settings, context, warmStart, stopwatch);
    }

    internal static Head Fit(PreparedSplit data, SoftmaxRegressionSettings settings, ComputeContext context, Head? warmStart, Stopwatch? started = null)
    {
        var theta = new double[ParameterCount(data, settings)];
        if (warmStart is not null)
            SoftmaxWarmStart.Initialize(warmStart, data.Labelled, data.Preprocessing, IsReference(data, settings), settings.FitIntercept, theta);
        return FitFrom(data, settings, context, theta, started);
    }

    internal static bool IsReference(PreparedSplit data, SoftmaxRegressionSettings settings) =>
        data.Labelled.Classes.Count == 2 && settings.Binary == BinaryFormulation.Logistic;

    internal static int ParameterCount(PreparedSplit data, SoftmaxRegressionSettings settings) =>
        (data.Labelled.Classes.Count - (IsReference(data, settings) ? 1 : 0)) * (data.Labelled.Dimension + 1);

    /// <summary>Fits from θ (updated in place to the optimum): how a C path warm-starts each point from the last.</summary>
    internal static Head FitFrom(PreparedSplit data, SoftmaxRegressionSettings settings, ComputeContext context, double[] theta,
        Stopwatch? started = null)
    {
        var stopwatch = started ?? Stopwatch.StartNew();
        var train = data.Labelled;
        int classes = train.Classes.Count, d = train.Dimension;
        bool reference = IsReference(data, settings);
        var objective = new SoftmaxObjective(context, data.Rows, train.Labels, classes, data.ClassWeights, reference,
            1.0 / (settings.C * data.WeightSum), settings.FitIntercept);
        if (theta.Length != objective.ParameterCount) throw new ArgumentException("Parameter vector of the wrong length.", nameof(theta));

        var optimizer = new Lbfgs(theta.Length, settings.HistorySize);
        var result = optimizer.Minimize(objective.Evaluate, theta, settings.Tolerance, settings.MaxIterations);

        var layer = ToLayer(theta, classes, d, reference);
        var info = new HeadTrainingInfo
        {
            Settings = settings.ToPairs(),
            TrainingRows = train.Count,
            TrainingRowsPerClass = data.CountPerClass,
            Optimization = new OptimizationReport
            {
                Iterations = result.Iterations,
                FunctionEvaluations = result.Evaluations,
                Objective = result.Value,
                GradientMaxNorm = result.GradientMaxNorm,
                Tolerance = settings.Tolerance,
                Converged = result.Converged,
                StopReason = result.StopReason,
            },
            Seconds = stopwatch.Elapsed.TotalSeconds,
        };
        return new Head(Head.SoftmaxRegressionKind, train.Classes, data.Preprocessing, [layer], info);
    }

    /// <summary>The parameter vector as the head's one layer; in reference mode class 0's row and bias are 0.</summary>
    private static DenseLayer ToLayer(double[] theta, int classes, int d, bool reference)
    {
        int p = reference ? classes - 1 : classes, offset = reference ? 1 : 0;
        var weights = new float[classes * d];
        var bias = new float[classes];
        for (int c = 0; c < p; c++)
        {
            for (int j = 0; j < d; j++) weights[(c + offset) * d + j] = (float)theta[c * d + j];
            bias[c + offset] = (float)theta[p * d + c];
        }
        return new DenseLayer(d, classes, weights, bias, Activation.Identity);
    }
}
