using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Selection;

/// <summary>One candidate of a sweep and how it scored on the held-out folds.</summary>
public sealed class SweepPoint
{
    /// <summary>"C=0.01", or the MLP settings' short description.</summary>
    public required string Name { get; init; }

    /// <summary>The L2 inverse strength (softmax-regression sweeps).</summary>
    public double? C { get; init; }

    /// <summary>The candidate settings (MLP sweeps).</summary>
    public MlpSettings? Mlp { get; init; }

    /// <summary>The selection metric on each held-out fold.</summary>
    public required IReadOnlyList<double> FoldScores { get; init; }

    public required double MeanScore { get; init; }

    /// <summary>Population standard deviation of the fold scores.</summary>
    public required double ScoreStandardDeviation { get; init; }

    public required double MeanAccuracy { get; init; }

    public required double MeanLogLoss { get; init; }

    /// <summary>Mean L-BFGS iterations (softmax regression) or epochs run (MLP) per fold.</summary>
    public required double MeanIterations { get; init; }

    /// <summary>Softmax regression: every fold's fit reached the gradient tolerance. MLP: always true.</summary>
    public required bool AllConverged { get; init; }

    /// <summary>Mean wall-clock seconds of one fold's fit (warm-started along the C path for softmax regression).</summary>
    public double MeanFitSeconds { get; init; }

    internal static SweepPoint Create(string name, double? c, MlpSettings? mlp, IReadOnlyList<ClassificationMetrics> folds,
        SelectionMetric metric, double meanIterations, bool allConverged, double meanFitSeconds = 0)
    {
        var scores = folds.Select(m => Score(m, metric)).ToArray();
        double mean = scores.Average();
        return new SweepPoint
        {
            Name = name,
            C = c,
            Mlp = mlp,
            FoldScores = scores,
            MeanScore = mean,
            ScoreStandardDeviation = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / scores.Length),
            MeanAccuracy = folds.Average(m => m.Accuracy),
            MeanLogLoss = folds.Average(m => m.LogLoss),
            MeanIterations = meanIterations,
            AllConverged = allConverged,
            MeanFitSeconds = meanFitSeconds,
        };
    }

    internal static double Score(ClassificationMetrics metrics, SelectionMetric metric) => metric switch
    {
        SelectionMetric.BalancedAccuracy => metrics.BalancedAccuracy,
        SelectionMetric.MacroF1 => metrics.MacroF1,
        SelectionMetric.LogLoss => metrics.LogLoss,
        _ => metrics.Accuracy,
    };
}

/// <summary>The outcome of a sweep: every candidate's scores, the chosen one, and the head refitted with it.</summary>
public sealed class SweepResult
{
    public required SelectionMetric Metric { get; init; }

    /// <summary>How candidates were scored, in words (e.g. "stratified 5-fold cross-validation …").</summary>
    public required string Validation { get; init; }

    /// <summary>Candidates in the order given.</summary>
    public required IReadOnlyList<SweepPoint> Points { get; init; }

    public required int BestIndex { get; init; }

    public SweepPoint Best => Points[BestIndex];

    /// <summary>The chosen candidate refitted on the whole training split.</summary>
    public required Head Head { get; init; }

    /// <summary>Wall-clock seconds of the whole sweep, refit included.</summary>
    public required double Seconds { get; init; }

    /// <summary>Index of the best mean score (highest, or lowest for log-loss); ties go to the earlier candidate.</summary>
    internal static int SelectBest(IReadOnlyList<SweepPoint> points, SelectionMetric metric, IReadOnlyList<int> preferenceOrder)
    {
        int best = preferenceOrder[0];
        foreach (int i in preferenceOrder)
        {
            bool better = metric == SelectionMetric.LogLoss ? points[i].MeanScore < points[best].MeanScore : points[i].MeanScore > points[best].MeanScore;
            if (better) best = i;
        }
        return best;
    }
}
