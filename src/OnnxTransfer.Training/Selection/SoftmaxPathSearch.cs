using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// Chooses softmax regression's C the way glmnet and scikit-learn's LogisticRegressionCV walk a regularisation path,
/// but without fitting the whole grid: a coarse log grid is walked from strong to weak L2, every fold warm-starting
/// each fit from its own previous optimum and all folds advancing together (in parallel), so the cross-validated score
/// is known after each step; the walk stops once the score has clearly passed its peak (weak-L2 fits are the slow
/// ones), then the grid is refined around the best value, each refined point warm-started from the nearest
/// coarse point below it. Every evaluated C lies on the fine grid <c>LogGrid(from, to, (coarse − 1)·Subdivisions + 1)</c>
/// (the default is a subset of the 45-value grid of the exhaustive <c>softmax-l2</c> preset), so the choice is the
/// exhaustive grid's whenever its best lies within one coarse step of a best coarse value.
/// The refit on the whole training split starts from the mean of the folds' optima at the chosen C.
/// </summary>
public sealed class SoftmaxPathSearch
{
    private readonly double[] _coarse;
    private readonly SelectionRules _rules;

    /// <param name="settings">Everything but C.</param>
    /// <param name="coarseGrid">Coarse C values, ascending after sorting; default <c>LogGrid(1e-6, 1e5, 12)</c> (one per decade).</param>
    /// <param name="subdivisions">Fine steps per coarse step (4: quarter steps), refined next to the best coarse value.</param>
    /// <param name="patience">Stop after this many coarse steps scoring below the best (ties do not count).</param>
    public SoftmaxPathSearch(SoftmaxRegressionSettings? settings = null, IReadOnlyList<double>? coarseGrid = null, int subdivisions = 4,
        int patience = 2, ValidationScheme? validation = null, SelectionMetric metric = SelectionMetric.Accuracy, ComputeOptions? compute = null)
    {
        Settings = settings ?? new SoftmaxRegressionSettings();
        Settings.Validate();
        _coarse = (coarseGrid ?? SoftmaxRegressionSweep.LogGrid(1e-6, 1e5, 12)).Order().ToArray();
        if (_coarse.Length == 0) throw new ArgumentException("The coarse C grid is empty; give at least one value, e.g. LogGrid(1e-6, 1e5, 12).", nameof(coarseGrid));
        foreach (var c in _coarse)
            if (!(c > 0) || !double.IsFinite(c)) throw new ArgumentOutOfRangeException(nameof(coarseGrid), c, "Every C must be finite and > 0.");
        if (_coarse.Distinct().Count() != _coarse.Length) throw new ArgumentException("The coarse C grid holds a value twice.", nameof(coarseGrid));
        if (subdivisions < 1) throw new ArgumentOutOfRangeException(nameof(subdivisions), subdivisions, "Subdivisions must be at least 1 (4 gives quarter steps).");
        if (patience < 1) throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience must be at least 1 (2 is usual).");
        Subdivisions = subdivisions;
        Patience = patience;
        _rules = new SelectionRules(validation, metric, compute);
    }

    /// <summary>
    /// Fold fits along the path stop at this multiple of <see cref="SoftmaxRegressionSettings.Tolerance"/>: held-out
    /// predictions settle long before the gradient's last digit (same choice of C on hymenoptera and generated sets,
    /// half the iterations); the refit at the chosen C runs to the full tolerance.
    /// </summary>
    public const double SearchToleranceFactor = 10;

    public SoftmaxRegressionSettings Settings { get; }

    public IReadOnlyList<double> CoarseGrid => _coarse;

    public int Subdivisions { get; }

    public int Patience { get; }

    public ValidationScheme Validation => _rules.Validation;

    public SelectionMetric Metric => _rules.Metric;

    /// <summary>Out-of-fold logits of every training row at the chosen C (row order of the training split), for calibration.</summary>
    public sealed record OutOfFold(float[] Logits, int[] Labels, int Classes);

    public SweepResult Fit(TrainingData train) => Fit(train, out _);

    /// <summary>As <see cref="Fit(TrainingData)"/>, also giving the folds' held-out logits at the chosen C.</summary>
    public SweepResult Fit(TrainingData train, out OutOfFold outOfFold)
    {
        ArgumentNullException.ThrowIfNull(train);
        var stopwatch = Stopwatch.StartNew();
        var context = _rules.Compute.CreateContext();
        var partitions = _rules.Partitions(train, null);
        var scheme = Validation.Partitions(train.Labelled);
        int folds = partitions.Count;
        var prepared = new PreparedSplit[folds];
        ParallelFits.Run(context, folds, (fold, inner) =>
            prepared[fold] = new PreparedSplit(partitions[fold].Fit, Settings.Preprocessing, Settings.ClassWeights, inner, ownsFeatures: true, oversamplingSeed: Settings.OversamplingSeed));
        var theta = new double[folds][];
        for (int fold = 0; fold < folds; fold++) theta[fold] = new double[SoftmaxRegressionTrainer.ParameterCount(prepared[fold], Settings)];

        var evaluated = new List<Evaluated>();
        // The coarse walk: strong to weak L2, each fold from its last optimum; stop once the score has clearly passed
        // its peak (Patience steps scoring below the best; a plateau of ties goes on, since it has not passed it).
        int sinceBest = 0;
        for (int i = 0; i < _coarse.Length; i++)
        {
            int bestBefore = evaluated.Count == 0 ? -1 : BestIndex(evaluated);
            var point = Evaluate(_coarse[i], theta, prepared, partitions, context);
            evaluated.Add(point);
            if (bestBefore < 0 || Better(point.Point.MeanScore, evaluated[bestBefore].Point.MeanScore)) sinceBest = 0;
            else if (point.Point.MeanScore != evaluated[bestBefore].Point.MeanScore && ++sinceBest >= Patience) break;
        }

        // Refinement: every fine point of the coarse steps next to the best coarse value (all of them when several
        // tie: accuracy plateaus, and a plateau may hide the peak), each side walked upwards from the optimum of the
        // coarse point at its lower end (a weaker-L2 start would first have to shrink).
        int walked = evaluated.Count;
        double bestScore = evaluated[BestIndex(evaluated)].Point.MeanScore;
        var intervals = new SortedSet<int>();
        for (int i = 0; i < walked; i++)
        {
            if (evaluated[i].Point.MeanScore != bestScore) continue;
            if (i > 0) intervals.Add(i - 1);
            if (i + 1 < walked) intervals.Add(i);
        }
        foreach (int lower in intervals)
        {
            for (int fold = 0; fold < folds; fold++) evaluated[lower].FoldTheta[fold].CopyTo(theta[fold], 0);
            double a = Math.Log10(_coarse[lower]), b = Math.Log10(_coarse[lower + 1]);
            for (int k = 1; k < Subdivisions; k++)
                evaluated.Add(Evaluate(Math.Pow(10, a + (b - a) * k / Subdivisions), theta, prepared, partitions, context));
        }

        evaluated.Sort((x, y) => x.Point.C!.Value.CompareTo(y.Point.C!.Value));
        var points = evaluated.Select(e => e.Point).ToArray();
        int best = SweepResult.SelectBest(points, Metric, Enumerable.Range(0, points.Length).ToArray());
        double bestC = points[best].C!.Value;

        // Refit on the whole split from the folds' mean optimum (close to it; L-BFGS converges to the same optimum).
        var chosen = evaluated[best];
        var full = new PreparedSplit(train, Settings.Preprocessing, Settings.ClassWeights, context, oversamplingSeed: Settings.OversamplingSeed);
        var start = new double[SoftmaxRegressionTrainer.ParameterCount(full, Settings)];
        if (start.Length == chosen.FoldTheta[0].Length)
        {
            foreach (var foldTheta in chosen.FoldTheta)
                for (int j = 0; j < start.Length; j++) start[j] += foldTheta[j] / folds;
        }
        var head = SoftmaxRegressionTrainer.FitFrom(full, Settings with { C = bestC }, context, start);

        outOfFold = OutOfFoldLogits(train.Labelled, scheme, partitions, chosen.FoldHeads, context);
        return _rules.Result(Validation.Describe() + $"; regularisation path over {_coarse.Length} coarse C values, refined to 1/{Subdivisions} step next to the best, stopped {Patience} steps past the peak",
            points, best, head, stopwatch);
    }

    private bool Better(double score, double best) => Metric == SelectionMetric.LogLoss ? score < best : score > best;

    /// <summary>The best evaluated point; ties go to the smaller C (stronger regularisation).</summary>
    private int BestIndex(List<Evaluated> evaluated)
    {
        int best = 0;
        for (int i = 1; i < evaluated.Count; i++)
        {
            double score = evaluated[i].Point.MeanScore, bestScore = evaluated[best].Point.MeanScore;
            if (Better(score, bestScore) || (score == bestScore && evaluated[i].Point.C < evaluated[best].Point.C)) best = i;
        }
        return best;
    }

    /// <summary>One C for every fold side by side, each fold continuing from (and updating) its θ.</summary>
    private Evaluated Evaluate(double c, double[][] theta, PreparedSplit[] prepared, List<(TrainingData Fit, TrainingData HeldOut)> partitions, ComputeContext context)
    {
        int folds = prepared.Length;
        var metrics = new ClassificationMetrics[folds];
        var heads = new Head[folds];
        var iterations = new int[folds];
        var converged = new bool[folds];
        var seconds = new double[folds];
        ParallelFits.Run(context, folds, (fold, inner) =>
        {
            var head = SoftmaxRegressionTrainer.FitFrom(prepared[fold], Settings with { C = c, Tolerance = Settings.Tolerance * SearchToleranceFactor }, inner, theta[fold]);
            metrics[fold] = ClassificationMetrics.Evaluate(head, partitions[fold].HeldOut, inner.Options);
            heads[fold] = head;
            iterations[fold] = head.Training!.Optimization!.Iterations;
            converged[fold] = head.Training.Optimization.Converged;
            seconds[fold] = head.Training.Seconds;
        });
        var point = SweepPoint.Create("C=" + c.ToString("G4", CultureInfo.InvariantCulture), c, null, metrics, Metric,
            iterations.Average(), converged.All(x => x), seconds.Average());
        return new Evaluated(point, theta.Select(t => (double[])t.Clone()).ToArray(), heads);
    }

    /// <summary>Every training row's logits from the fold model that did not see it.</summary>
    private static OutOfFold OutOfFoldLogits(LabelledRows train, List<(int[] Train, int[] HeldOut)> scheme,
        List<(TrainingData Fit, TrainingData HeldOut)> partitions, Head[] foldHeads, ComputeContext context)
    {
        var compute = context.Options;
        int classes = train.Classes.Count;
        var logits = new float[(long)train.Count * classes];
        var labels = new int[train.Count];
        for (int fold = 0; fold < scheme.Count; fold++)
        {
            var heldOut = scheme[fold].HeldOut;
            var foldLogits = foldHeads[fold].Logits(partitions[fold].HeldOut, compute);
            for (int i = 0; i < heldOut.Length; i++)
            {
                foldLogits.AsSpan(i * classes, classes).CopyTo(logits.AsSpan(heldOut[i] * classes, classes));
                labels[heldOut[i]] = train.Labels[heldOut[i]];
            }
        }
        return new OutOfFold(logits, labels, classes);
    }

    private sealed record Evaluated(SweepPoint Point, double[][] FoldTheta, Head[] FoldHeads);
}
