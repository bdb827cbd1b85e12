using System.Diagnostics;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// Chooses MLP settings among candidates by stratified k-fold cross-validation (or a validation split) on the training
/// split only, then refits the best candidate on the whole training split. Every (candidate, fold) fit is independent,
/// so they run in parallel; each is deterministic, so the result does not depend on the schedule.
/// </summary>
public sealed class MlpSweep
{
    private readonly MlpSettings[] _candidates;
    private readonly SelectionRules _rules;

    public MlpSweep(IReadOnlyList<MlpSettings> candidates, ValidationScheme? validation = null,
        SelectionMetric metric = SelectionMetric.Accuracy, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) throw new ArgumentException("An MLP sweep needs at least one candidate (see MlpSweep.Grid).", nameof(candidates));
        foreach (var candidate in candidates) candidate.Validate();
        _candidates = candidates.ToArray();
        _rules = new SelectionRules(validation, metric, compute);
    }

    public IReadOnlyList<MlpSettings> Candidates => _candidates;

    public ValidationScheme Validation => _rules.Validation;

    public SelectionMetric Metric => _rules.Metric;

    /// <summary>The Cartesian product of the given values over <paramref name="baseSettings"/> (null = keep the base value).</summary>
    public static IReadOnlyList<MlpSettings> Grid(MlpSettings baseSettings, IEnumerable<IReadOnlyList<int>>? hiddenLayers = null,
        IEnumerable<double>? learningRates = null, IEnumerable<double>? weightDecays = null, IEnumerable<double>? dropouts = null)
    {
        ArgumentNullException.ThrowIfNull(baseSettings);
        var result = new List<MlpSettings>();
        foreach (var layers in hiddenLayers ?? [baseSettings.HiddenLayers])
        foreach (var rate in learningRates ?? [baseSettings.LearningRate])
        foreach (var decay in weightDecays ?? [baseSettings.WeightDecay])
        foreach (var dropout in dropouts ?? [baseSettings.Dropout])
            result.Add(baseSettings with { HiddenLayers = layers, LearningRate = rate, WeightDecay = decay, Dropout = dropout });
        return result;
    }

    /// <summary>
    /// Scores every candidate, then refits the best on all of <paramref name="train"/>. <paramref name="linearStart"/>
    /// warm-starts the linear skip path of candidates that have one (see <see cref="MlpTrainer.Fit(TrainingData, TrainingData?, Head?, Head?)"/>).
    /// </summary>
    public SweepResult Fit(TrainingData train, TrainingData? validation = null, Head? linearStart = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var stopwatch = Stopwatch.StartNew();
        var context = _rules.Compute.CreateContext();
        var partitions = _rules.Partitions(train, validation);
        int folds = partitions.Count;

        var results = new (ClassificationMetrics Metrics, int Epochs, double Seconds)[_candidates.Length * folds];
        ParallelFits.Run(context, results.Length, (task, inner) =>
        {
            int candidate = task / folds, fold = task % folds;
            var (fitRows, heldOut) = partitions[fold];
            var head = new MlpTrainer(_candidates[candidate]).Fit(fitRows, null, null, inner, linearStart);
            var metrics = ClassificationMetrics.Evaluate(head, heldOut, inner.Options);
            results[task] = (metrics, head.Training!.History!.Epochs.Count, head.Training.Seconds);
        });

        var points = new SweepPoint[_candidates.Length];
        for (int candidate = 0; candidate < _candidates.Length; candidate++)
        {
            var mine = results.AsSpan(candidate * folds, folds).ToArray();
            points[candidate] = SweepPoint.Create(_candidates[candidate].Describe(), null, _candidates[candidate],
                mine.Select(r => r.Metrics).ToArray(), Metric, mine.Average(r => r.Epochs), allConverged: true, mine.Average(r => r.Seconds));
        }
        int best = SweepResult.SelectBest(points, Metric, Enumerable.Range(0, points.Length).ToArray());
        var refit = new MlpTrainer(_candidates[best], _rules.Compute).Fit(train, validation, null, context, linearStart);
        return _rules.Result(_rules.Describe(validation), points, best, refit, stopwatch);
    }
}
