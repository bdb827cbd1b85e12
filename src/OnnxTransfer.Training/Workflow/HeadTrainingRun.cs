using OnnxTransfer.Training.Calibration;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Ood;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Workflow;

/// <summary>
/// The training workflow the command line runs, as a plain API: place the splits of a dataset (in memory or streamed,
/// as the memory budget allows), fit or sweep on the training split, calibrate, and score the head on the training and
/// evaluation splits. The evaluation split is only ever scored, never used to choose anything.
/// </summary>
public static class HeadTrainingRun
{
    /// <summary>Fits the head <paramref name="settings"/> describe on <paramref name="plan"/>'s training split.</summary>
    public static HeadTrainingResult Train(EmbeddingDataset dataset, SplitPlan plan, HeadTrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(settings);
        // A cross-validated fit holds the split, every fold's preprocessed rows (the path search advances all folds
        // together: about one copy of the split per fold) and the refit's preprocessed copy.
        var (train, evaluation) = Place(dataset, plan, settings.Budget, settings.CrossValidates ? 2 + (settings.Folds ?? 5) : 2, settings.TrainViews);
        var notes = new List<string>();
        var fit = settings.IsCentroid ? FitCentroid(train.Data, settings)
            : settings.IsMlp ? FitMlp(train.Data, settings)
            : FitSoftmax(train.Data, settings, notes);
        var head = fit.Head;
        if (fit.Calibration is { } calibrated)
        {
            head = calibrated.Head;
            if (calibrated.Skipped is { } skipped) notes.Add(skipped);
        }
        var metrics = Score(head, train, evaluation, settings.Compute);
        // Calibration never changes a prediction; what it did to the evaluation split's confidence is reported beside.
        var before = evaluation is not null && !ReferenceEquals(head, fit.Head) ? ClassificationMetrics.Evaluate(fit.Head, evaluation.Data, settings.Compute) : null;
        var (detector, oodReport) = settings.Ood == OodMethod.None ? (null, null) : FitOod(head, train, evaluation, settings, fit.Sweep);
        var overViews = ScoreOverViews(dataset, plan, head, train, settings.TrainViews, settings.Budget, settings.Compute, notes);
        return new HeadTrainingResult
        {
            Dataset = dataset, Plan = plan, Placements = Placements(train, evaluation), Head = head, Sweep = fit.Sweep,
            Metrics = metrics, EvaluationBeforeCalibration = before, EvaluationOverViews = overViews, Notes = notes, Ood = detector, OodReport = oodReport,
            FewShot = settings.FewShotCurve ? FewShotCurveOf(train, evaluation, settings) : null,
        };
    }

    /// <summary>
    /// A cache with views: the evaluation split scored again as test-time augmentation (each input the mean of the
    /// head's probabilities over its views), beside its original-view score; notes say what was trained and scored on.
    /// </summary>
    private static ClassificationMetrics? ScoreOverViews(EmbeddingDataset dataset, SplitPlan plan, Head head, PlacedSplit train,
        ViewRows trainViews, MemoryBudget budget, ComputeOptions compute, List<string> notes)
    {
        if (!dataset.HasViews) return null;
        notes.Add(trainViews == ViewRows.All
            ? $"views: trained on every view of '{plan.TrainName}' ({train.Data.Count} rows of {train.Data.InputCount} inputs); folds and hold-outs keep an input's views together"
            : $"views: trained on the original view of '{plan.TrainName}' only (--train-views original)");
        if (plan.Evaluation is null) return null;
        var views = PlacedSplit.Place(dataset, plan.Evaluation, train.Data.Classes, budget, 1, ViewRows.All);
        notes.Add($"'{plan.Evaluation}' is scored on its original view, and as '{TestTimeAugmentation.SplitName(plan.Evaluation)}' on the mean of the " +
                  $"probabilities over its {views.Data.Count} view rows of {views.Data.InputCount} inputs (test-time augmentation; compose --tta builds that model)");
        return TestTimeAugmentation.Evaluate(head, views.Data, compute);
    }

    /// <summary>
    /// Ranks the candidates of <paramref name="grid"/> on the training split (on a cache with views, its
    /// <paramref name="trainViews"/>), refits the best and scores it (as <see cref="Train"/> does, with views beside).
    /// </summary>
    public static HeadTrainingResult Sweep(EmbeddingDataset dataset, SplitPlan plan, SweepGrid grid, ComputeOptions compute, MemoryBudget budget,
        ViewRows trainViews = ViewRows.All)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(grid);
        var (train, evaluation) = Place(dataset, plan, budget, 2 + compute.DegreeOfParallelism, trainViews);
        var sweep = grid.Run(train.Data, compute);
        var notes = new List<string>();
        return new HeadTrainingResult
        {
            Dataset = dataset, Plan = plan, Placements = Placements(train, evaluation), Head = sweep.Head, Sweep = sweep,
            Metrics = Score(sweep.Head, train, evaluation, compute),
            EvaluationOverViews = ScoreOverViews(dataset, plan, sweep.Head, train, trainViews, budget, compute, notes), Notes = notes,
        };
    }

    /// <summary>
    /// Scores a trained head on <paramref name="split"/> (null: every row), its labels matched by name; on a cache with
    /// views, the original view, and the mean over views beside it (<see cref="HeadTrainingResult.EvaluationOverViews"/>).
    /// </summary>
    public static HeadTrainingResult Evaluate(EmbeddingDataset dataset, string? split, Head head, ComputeOptions compute, MemoryBudget budget)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(head);
        var data = PlacedSplit.Place(dataset, split, head.Labels, budget, 1);
        return new HeadTrainingResult
        {
            Dataset = dataset, Placements = Placements(data, null), Head = head, Metrics = Score(head, data, null, compute),
            EvaluationOverViews = dataset.HasViews
                ? TestTimeAugmentation.Evaluate(head, PlacedSplit.Place(dataset, split, head.Labels, budget, 1, ViewRows.All).Data, compute)
                : null,
        };
    }

    private static (PlacedSplit Train, PlacedSplit? Evaluation) Place(EmbeddingDataset dataset, SplitPlan plan, MemoryBudget budget, int copies,
        ViewRows trainViews = ViewRows.Original)
    {
        var train = PlacedSplit.Place(dataset, plan.Train, null, budget, copies, trainViews);
        var evaluation = plan.Evaluation is null ? null : PlacedSplit.Place(dataset, plan.Evaluation, train.Data.Classes, budget, 1);
        return (train, evaluation);
    }

    private static List<(string, string)> Placements(PlacedSplit train, PlacedSplit? evaluation)
    {
        var placements = new List<(string, string)> { (train.Data.Name, train.Placement) };
        if (evaluation is not null) placements.Add((evaluation.Data.Name, evaluation.Placement));
        return placements;
    }

    private static List<ClassificationMetrics> Score(Head head, PlacedSplit train, PlacedSplit? evaluation, ComputeOptions compute)
    {
        var metrics = new List<ClassificationMetrics> { ClassificationMetrics.Evaluate(head, train.Data, compute) };
        if (evaluation is not null) metrics.Add(ClassificationMetrics.Evaluate(head, evaluation.Data, compute));
        return metrics;
    }

    /// <summary>
    /// The head's OOD detector, its threshold from out-of-fold training rows (logit methods refit the head per fold with
    /// the chosen settings, without selection or calibration), and its report on the evaluation split.
    /// </summary>
    private static (OodDetector, OodReport) FitOod(Head head, PlacedSplit train, PlacedSplit? evaluation, HeadTrainingSettings settings, SweepResult? sweep)
    {
        if (train.Data is not EmbeddingSet rows)
            throw new TrainingDataException($"The OOD score needs the training split in memory, but it is {train.Placement}; raise --memory or train without --ood.", train.Data.Name);
        var foldSettings = settings with
        {
            SelectC = false, Folds = null, Calibrate = false, WarmStart = null,
            Softmax = sweep?.Best.C is { } c ? settings.Softmax with { C = c } : settings.Softmax,
        };
        Head Refit(EmbeddingSet fold) => (settings.IsCentroid ? FitCentroid(fold, foldSettings)
            : settings.IsMlp ? FitMlp(fold, foldSettings) : FitSoftmax(fold, foldSettings, [])).Head;
        var fitter = new OodFitter(settings.Ood, settings.OodFalsePositiveRate);
        var detector = fitter.Fit(head, rows, Refit, settings.Compute);
        var evaluationRows = evaluation?.Data as EmbeddingSet;
        var report = OodReport.Evaluate(detector, head, rows, evaluationRows, settings.OodEvaluation, settings.OodEvaluationSource, settings.Seed, settings.Compute);
        if (settings.OodHoldoutClass is { } heldOut)
            report = report with { HeldOut = OodHoldout.Evaluate(fitter, head, rows, evaluationRows, heldOut, Refit, settings.Compute) };
        return (detector, report);
    }

    /// <summary>The fitted head before calibration, the selection that chose it, and its calibration.</summary>
    private sealed record Fit(Head Head, SweepResult? Sweep, HeadCalibration.Outcome? Calibration);

    private static Fit FitCentroid(TrainingData train, HeadTrainingSettings settings) =>
        // Their similarity scale is fixed; temperature calibration is for fitted heads.
        new(settings.Kind == Head.NearestNeighboursKind
            ? new NearestNeighboursTrainer(settings.Neighbours, NearestNeighboursTrainer.DefaultScale, settings.Compute).Fit(train)
            : new NearestCentroidTrainer(NearestCentroidTrainer.DefaultScale, settings.Compute).Fit(train), null, null);

    /// <summary>The few-shot curve of the settings' few-labels head: drawn from the training split, scored on the evaluation split.</summary>
    private static FewShotCurveResult FewShotCurveOf(PlacedSplit train, PlacedSplit? evaluation, HeadTrainingSettings settings)
    {
        if (!settings.IsCentroid)
            throw new ArgumentException("The few-shot curve is measured for the few-labels heads (nearest centroid, k-NN).", nameof(settings));
        if (evaluation is null)
            throw new TrainingDataException("The few-shot curve is scored on an evaluation split, and this run has none: name one with --eval-split.", train.Data.Name);
        if (train.Data is not EmbeddingSet pool)
            throw new TrainingDataException($"The few-shot curve draws rows from the training split '{train.Data.Name}' in memory, but it is streamed " +
                                            "(larger than the memory budget): raise the budget, or leave out the curve.", train.Data.Name);
        return new FewShotCurve(subset => FitCentroid(subset, settings).Head, seed: settings.Seed, compute: settings.Compute).Run(pool, evaluation.Data);
    }

    private static Fit FitMlp(TrainingData train, HeadTrainingSettings settings)
    {
        var mlp = settings.Mlp;
        Head? linearStart = null;
        SoftmaxPathSearch.OutOfFold? skipOutOfFold = null;
        if (mlp.LinearSkip is { } skip && settings.SelectC)
        {
            // The skip path is the softmax head the default softmax run would choose: C by the same path search; its
            // refit warm-starts the skip's fit on the MLP's own rows.
            var searched = new SoftmaxPathSearch(skip, validation: Validation(settings), metric: settings.Metric, compute: settings.Compute).Fit(train, out skipOutOfFold);
            mlp = mlp with { LinearSkip = skip with { C = searched.Best.C!.Value } };
            linearStart = searched.Head;
        }
        SweepResult? sweep = null;
        if (settings.Folds is not null)
        {
            // One candidate: the folds estimate how this configuration generalises; the head is the refit.
            sweep = new MlpSweep([mlp], Validation(settings), settings.Metric, settings.Compute).Fit(train, null, linearStart);
        }
        var head = settings.WarmStart is null && sweep is not null ? sweep.Head
            : new MlpTrainer(mlp, settings.Compute).Fit(train, null, settings.WarmStart, linearStart);
        if (!settings.Calibrate) return new Fit(head, sweep, null);
        // Epoch 0 kept: the MLP is the softmax head the search refitted on every training row, so the search's
        // out-of-fold logits are held-out logits of this very head — many more rows than the MLP's carve-out (26 on
        // hymenoptera, too few to fit T), as `--head softmax` calibrates. Not after a warm start: its epoch 0 holds the
        // warm-start head's hidden weights, not the bare softmax head.
        bool isTheSkipHead = skipOutOfFold is not null && settings.WarmStart is null && head.Training?.History is { BestEpoch: 0 };
        return new Fit(head, sweep, isTheSkipHead
            ? HeadCalibration.Calibrate(head, skipOutOfFold!, Validation(settings).Describe() + " that chose the skip path's C (epoch 0 kept: the MLP is that softmax head)")
            : HeadCalibration.CalibrateMlp(head, train, mlp, settings.Compute));
    }

    private static Fit FitSoftmax(TrainingData train, HeadTrainingSettings settings, List<string> notes)
    {
        var softmax = settings.Softmax;
        bool calibrate = settings.Calibrate, selectC = settings.SelectC;
        var validation = Validation(settings);
        SoftmaxPathSearch.OutOfFold? outOfFold = null;
        SweepResult? searched = null, sweep = null;
        // --l2 auto walks the regularisation path; a fixed --l2 is cross-validated alone when --cv asks for an
        // estimate or calibration needs out-of-fold logits.
        // Out-of-fold logits only to calibrate: not worth folds a small split cannot fill (a temperature needs at
        // least TemperatureScaling.MinimumRows held-out rows anyway), so such a head stays uncalibrated, with a note.
        if (calibrate && !selectC && settings.Folds is null && train.Count < TemperatureScaling.MinimumRows)
        {
            calibrate = false;
            notes.Add($"not calibrated: {train.Count} training rows are too few to fit a temperature on out-of-fold logits (at least {TemperatureScaling.MinimumRows})");
        }
        if (selectC || settings.Folds is not null || calibrate)
        {
            var search = selectC
                ? new SoftmaxPathSearch(softmax, validation: validation, metric: settings.Metric, compute: settings.Compute)
                : new SoftmaxPathSearch(softmax, [softmax.C], subdivisions: 1, validation: validation, metric: settings.Metric, compute: settings.Compute);
            searched = search.Fit(train, out outOfFold);
            if (selectC || settings.Folds is not null) sweep = searched;
            softmax = softmax with { C = searched.Best.C!.Value };
        }
        var head = settings.WarmStart is null && searched is not null ? searched.Head
            : new SoftmaxRegressionTrainer(softmax, settings.Compute).Fit(train, settings.WarmStart);
        return new Fit(head, sweep, calibrate ? HeadCalibration.Calibrate(head, outOfFold!, validation.Describe()) : null);
    }

    private static ValidationScheme Validation(HeadTrainingSettings settings) => ValidationScheme.KFold(settings.Folds ?? 5, settings.Seed);
}
