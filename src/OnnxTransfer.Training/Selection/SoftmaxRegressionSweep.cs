using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// Chooses the L2 strength of softmax regression as linear-probe protocols do: every C of a log-spaced grid is scored by
/// stratified k-fold cross-validation (or a validation split) on the training split only, then the best C is refitted
/// on the whole training split. Within a fold the grid is walked from strong to weak regularisation, each fit starting
/// from the previous optimum (warm start), and each fold standardises with its own training rows. Folds run in parallel.
/// </summary>
public sealed class SoftmaxRegressionSweep
{
    private readonly double[] _grid;
    private readonly SelectionRules _rules;

    /// <param name="settings">Everything but C (which the grid sets).</param>
    /// <param name="grid">C values (distinct, &gt; 0); default <c>LogGrid(1e-6, 1e5, 12)</c>.</param>
    public SoftmaxRegressionSweep(SoftmaxRegressionSettings? settings = null, IReadOnlyList<double>? grid = null,
        ValidationScheme? validation = null, SelectionMetric metric = SelectionMetric.Accuracy, ComputeOptions? compute = null)
    {
        Settings = settings ?? new SoftmaxRegressionSettings();
        Settings.Validate();
        _grid = (grid ?? LogGrid(1e-6, 1e5, 12)).ToArray();
        if (_grid.Length == 0) throw new ArgumentException("The C grid is empty; give at least one value, e.g. LogGrid(1e-6, 1e5, 12).", nameof(grid));
        foreach (var c in _grid)
            if (!(c > 0) || !double.IsFinite(c)) throw new ArgumentOutOfRangeException(nameof(grid), c, "Every C must be finite and > 0.");
        if (_grid.Distinct().Count() != _grid.Length) throw new ArgumentException("The C grid holds a value twice.", nameof(grid));
        _rules = new SelectionRules(validation, metric, compute);
    }

    public SoftmaxRegressionSettings Settings { get; }

    public IReadOnlyList<double> Grid => _grid;

    public ValidationScheme Validation => _rules.Validation;

    public SelectionMetric Metric => _rules.Metric;

    /// <summary><paramref name="points"/> values from <paramref name="from"/> to <paramref name="to"/>, evenly spaced in log scale.</summary>
    public static double[] LogGrid(double from, double to, int points)
    {
        if (!(from > 0) || !(to > 0)) throw new ArgumentOutOfRangeException(nameof(from), "Log-grid ends must be > 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        if (points == 1) return [from];
        double a = Math.Log10(from), b = Math.Log10(to);
        return Enumerable.Range(0, points).Select(i => Math.Pow(10, a + (b - a) * i / (points - 1))).ToArray();
    }

    /// <summary>
    /// Scores the grid on <paramref name="train"/> (k-fold or hold-out per <see cref="Validation"/>, or on
    /// <paramref name="validation"/> when given) and refits the best C on all of <paramref name="train"/>.
    /// </summary>
    public SweepResult Fit(TrainingData train, TrainingData? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var stopwatch = Stopwatch.StartNew();
        var context = _rules.Compute.CreateContext();
        var partitions = _rules.Partitions(train, validation);
        int[] path = Enumerable.Range(0, _grid.Length).OrderBy(i => _grid[i]).ToArray();

        // results[fold][point]
        var results = new (ClassificationMetrics Metrics, int Iterations, bool Converged, double Seconds)[partitions.Count][];
        ParallelFits.Run(context, partitions.Count, (fold, inner) =>
        {
            var (fitRows, heldOut) = partitions[fold];
            // The fold's rows are the sweep's own copy (or, with an explicit validation split, the caller's: left alone).
            var prepared = new PreparedSplit(fitRows, Settings.Preprocessing, Settings.ClassWeights, inner, ownsFeatures: validation is null, oversamplingSeed: Settings.OversamplingSeed);
            var theta = new double[SoftmaxRegressionTrainer.ParameterCount(prepared, Settings)];
            var foldResults = new (ClassificationMetrics, int, bool, double)[_grid.Length];
            foreach (int point in path)
            {
                var head = SoftmaxRegressionTrainer.FitFrom(prepared, Settings with { C = _grid[point] }, inner, theta);
                var metrics = ClassificationMetrics.Evaluate(head, heldOut, inner.Options);
                var report = head.Training!.Optimization!;
                foldResults[point] = (metrics, report.Iterations, report.Converged, head.Training.Seconds);
            }
            results[fold] = foldResults;
        });

        var points = new SweepPoint[_grid.Length];
        for (int point = 0; point < _grid.Length; point++)
        {
            var folds = results.Select(r => r[point]).ToArray();
            points[point] = SweepPoint.Create("C=" + _grid[point].ToString("G4", CultureInfo.InvariantCulture), _grid[point], null,
                folds.Select(f => f.Metrics).ToArray(), Metric, folds.Average(f => f.Iterations), folds.All(f => f.Converged), folds.Average(f => f.Seconds));
        }
        // Ties go to the smaller C (stronger regularisation).
        int best = SweepResult.SelectBest(points, Metric, path);
        var refit = new SoftmaxRegressionTrainer(Settings with { C = _grid[best] }, _rules.Compute).Fit(train);
        return _rules.Result(_rules.Describe(validation), points, best, refit, stopwatch);
    }
}
