using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Workflow;

/// <summary>What <see cref="HeadTrainingRun.Train"/> fits: the head kind with its settings, selection and calibration.</summary>
public sealed record HeadTrainingSettings
{
    /// <summary><see cref="Head.SoftmaxRegressionKind"/>, <see cref="Head.MlpKind"/>, <see cref="Head.NearestCentroidKind"/> or <see cref="Head.NearestNeighboursKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>Softmax regression's settings; C is the starting point when <see cref="SelectC"/>.</summary>
    public SoftmaxRegressionSettings Softmax { get; init; } = new();

    /// <summary>
    /// Softmax: choose C by the regularisation path under cross-validation instead of fitting Softmax.C; an MLP with a
    /// <see cref="MlpSettings.LinearSkip"/> chooses its skip path's C the same way.
    /// </summary>
    public bool SelectC { get; init; }

    public MlpSettings Mlp { get; init; } = new();

    /// <summary>k-NN head: neighbours that vote (at most the training rows).</summary>
    public int Neighbours { get; init; } = FewShot.NearestNeighboursTrainer.DefaultK;

    /// <summary>Few-labels heads: also measure the few-shot accuracy curve (<see cref="FewShot.FewShotCurve"/>, seeded by <see cref="Seed"/>).</summary>
    public bool FewShotCurve { get; init; }

    /// <summary>Folds asked for (an MLP or a fixed-C softmax is then cross-validated for an estimate); null: 5 where needed.</summary>
    public int? Folds { get; init; }

    public int Seed { get; init; }

    public SelectionMetric Metric { get; init; } = SelectionMetric.Accuracy;

    /// <summary>Fit a temperature on held-out logits of the training split and fold it into the head.</summary>
    public bool Calibrate { get; init; }

    /// <summary>A head of the same kind to start from (softmax or MLP).</summary>
    public Head? WarmStart { get; init; }

    /// <summary>
    /// A cache with views: train on every view of the training split (default; folds and hold-outs keep an input's
    /// views together) or on the original view only. Evaluation always scores the original view, and the mean over views beside it.
    /// </summary>
    public ViewRows TrainViews { get; init; } = ViewRows.All;

    public ComputeOptions Compute { get; init; } = ComputeOptions.Default;

    /// <summary>The OOD score the head carries (<see cref="Ood.OodMethod"/>); <see cref="Ood.OodMethod.None"/>: none.</summary>
    public string Ood { get; init; } = global::OnnxTransfer.Training.Ood.OodMethod.None;

    /// <summary>The share of held-out training rows the OOD threshold may flag.</summary>
    public double OodFalsePositiveRate { get; init; } = global::OnnxTransfer.Training.Ood.OodFitter.DefaultFalsePositiveRate;

    /// <summary>Out-of-distribution rows to measure the score's AUROC against (e.g. another dataset's cache); optional.</summary>
    public EmbeddingSet? OodEvaluation { get; init; }

    /// <summary>Where <see cref="OodEvaluation"/> came from, for the report.</summary>
    public string? OodEvaluationSource { get; init; }

    /// <summary>A class to leave out of a second, measuring-only detector: how its evaluation rows score as unseen (<see cref="Ood.OodHoldout"/>).</summary>
    public string? OodHoldoutClass { get; init; }

    public MemoryBudget Budget { get; init; } = MemoryBudget.Default;

    internal bool IsMlp => Kind == Head.MlpKind;

    /// <summary>A few-labels head (centroid or k-NN): nothing to select, no folds, no calibration.</summary>
    internal bool IsCentroid => Kind is Head.NearestCentroidKind or Head.NearestNeighboursKind;

    /// <summary>Whether the fit runs folds: to choose C, because folds were asked for, or for a softmax calibration.</summary>
    internal bool CrossValidates => !IsCentroid && (SelectC || Folds is not null || (!IsMlp && Calibrate));
}
