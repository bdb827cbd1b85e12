using System.Globalization;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Mlp;

/// <summary>Adam (weight decay added to the gradient, as PyTorch's Adam) or AdamW (decoupled: w ← w·(1 − lr·decay)).</summary>
public enum MlpOptimizer { Adam, AdamW }

/// <summary>What early stopping watches on the validation rows.</summary>
public enum EarlyStoppingMonitor
{
    /// <summary>Validation log-loss: lowest wins. Log-loss rises as soon as the net grows confident, often long before accuracy peaks.</summary>
    Loss,
    /// <summary>Validation accuracy, ties to the lower validation log-loss: the epoch that classifies best (calibration fixes confidence).</summary>
    Accuracy,
    /// <summary>Validation balanced accuracy (mean per-class recall), ties to the lower log-loss: for imbalanced classes.</summary>
    BalancedAccuracy,
    /// <summary>Validation macro-averaged F1, ties to the lower log-loss.</summary>
    MacroF1,
}

/// <summary>
/// The defaults are chosen on cached embeddings (hymenoptera and generated 10k–60k-row sets): with light regularisation
/// (no dropout, weight decay 1e-4, constant lr) a 1024-unit MLP grows confident within an epoch or two, its held-out
/// log-loss rises from there although accuracy still improves, and loss-based early stopping restored epoch 1–3 below
/// softmax regression. Dropout 0.5, decoupled weight decay 0.05, cosine decay, and early stopping on held-out accuracy
/// (temperature calibration then fixes the confidence) keep it learning to the last epochs.
/// Settings of <see cref="MlpTrainer"/>: hidden dense layers with ReLU or GELU, dropout after each hidden activation,
/// Adam/AdamW on mini-batches with a learning-rate schedule, weight decay (weights only, never biases), label
/// smoothing, and early stopping on a validation split with the best epoch's weights restored. The loss of a batch is
/// <c>Σᵢ sᵢ·CE(tᵢ, pᵢ) / Σᵢ sᵢ</c> with sᵢ the class weight of row i and tᵢ = (1 − ε)·onehot + ε/K.
/// </summary>
public sealed record MlpSettings
{
    /// <summary>Widths of the hidden layers, input side first (empty = softmax regression trained by Adam).</summary>
    public IReadOnlyList<int> HiddenLayers { get; init; } = [1024];

    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Probability of zeroing a hidden unit during training (inverted dropout), 0 ≤ p &lt; 1.</summary>
    public double Dropout { get; init; } = 0.5;

    public MlpOptimizer Optimizer { get; init; } = MlpOptimizer.AdamW;

    public double LearningRate { get; init; } = 1e-3;

    public double WeightDecay { get; init; } = 0.05;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine();

    /// <summary>Rows per mini-batch, or <see cref="AutoBatchSize"/> (the default): see <see cref="ResolveBatchSize"/>.</summary>
    public int BatchSize { get; init; } = AutoBatchSize;

    /// <summary>BatchSize value meaning "from the number of rows".</summary>
    public const int AutoBatchSize = 0;

    /// <summary>
    /// The batch size a fit on <paramref name="rows"/> rows uses: the setting, or for <see cref="AutoBatchSize"/> a
    /// power of two near rows/8 within 16..256, so a few hundred rows still get several optimiser steps per epoch
    /// (245 rows at 256 would be one step an epoch) and large sets get BLAS-sized batches.
    /// </summary>
    public int ResolveBatchSize(int rows)
    {
        if (BatchSize != AutoBatchSize) return BatchSize;
        int batch = 16;
        while (batch < 256 && batch * 2 <= rows / 8) batch *= 2;
        return batch;
    }

    /// <summary>Maximum epochs.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Share of the training split held out (stratified) for early stopping when no validation split is given; 0 = none.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Stop after this many epochs without a better validation score (per <see cref="Monitor"/>); null = run all epochs.</summary>
    public int? EarlyStoppingPatience { get; init; } = 10;

    /// <summary>What "best epoch" means for early stopping and <see cref="RestoreBestWeights"/>.</summary>
    public EarlyStoppingMonitor Monitor { get; init; } = EarlyStoppingMonitor.Accuracy;

    /// <summary>With a validation split, end with the weights of the best epoch (per <see cref="Monitor"/>).</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>ε of label smoothing, 0 ≤ ε &lt; 1.</summary>
    public double LabelSmoothing { get; init; }

    public PreprocessingKind Preprocessing { get; init; } = PreprocessingKind.Standardize;

    public ClassWeighting ClassWeights { get; init; } = ClassWeighting.None;

    /// <summary>
    /// Mini-batches drawn class-balanced (every epoch draws as many rows as the split holds, each class equally often,
    /// rows with replacement within a class: PyTorch's WeightedRandomSampler with inverse class frequencies) instead of
    /// a shuffle of every row once. Not together with class weights (either balances; both would square the correction).
    /// </summary>
    public bool BalancedSampling { get; init; }

    /// <summary>
    /// A linear skip path: logits = W_lin·x + b_lin + MLP(x), where (W_lin, b_lin) is softmax regression with these
    /// settings fitted on the rows the MLP trains on (the early-stopping carve-out stays unseen) and then kept fixed,
    /// and the hidden branch's output layer starts at zero. So epoch 0 is exactly that softmax head, early stopping
    /// can keep it, and every later epoch has to beat it on held-out rows: the MLP cannot end below the linear head
    /// it starts from except by held-out noise. Null: a plain MLP. The exported head is an ordinary MLP: the skip
    /// travels as 2·classes extra hidden units (act(p) − act(−p) = p for ReLU and GELU; see <see cref="LinearSkipFolding"/>).
    /// </summary>
    public SoftmaxRegressionSettings? LinearSkip { get; init; }

    /// <summary>Seeds initialisation, shuffling, dropout and the validation carve-out: same seed, same head (bit for bit).</summary>
    public int Seed { get; init; }

    /// <summary>Refuses impossible values up front, naming the setting and a valid range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(HiddenLayers);
        foreach (var width in HiddenLayers)
            if (width < 1) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), width, "Hidden layer widths must be at least 1 (e.g. [1024]).");
        if (Activation is not (Activation.Relu or Activation.Gelu))
            throw new ArgumentOutOfRangeException(nameof(Activation), Activation, "Hidden activation must be Relu or Gelu.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be within [0, 1), e.g. 0.2.");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be finite and > 0, e.g. 1e-3.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be finite and ≥ 0, e.g. 1e-4.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Beta1 must be within [0, 1), e.g. 0.9.");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Beta2 must be within [0, 1), e.g. 0.999.");
        if (!(Epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be > 0, e.g. 1e-8.");
        ArgumentNullException.ThrowIfNull(Schedule);
        Schedule.Validate();
        if (BatchSize < 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1 (e.g. 256), or 0 for automatic.");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1, e.g. 20.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be within [0, 1), e.g. 0.1.");
        if (EarlyStoppingPatience is < 1)
            throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "EarlyStoppingPatience must be at least 1 (or null to run all epochs).");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be within [0, 1), e.g. 0.1.");
        if (!Enum.IsDefined(Preprocessing)) throw new ArgumentOutOfRangeException(nameof(Preprocessing), Preprocessing, "Unknown preprocessing.");
        if (!Enum.IsDefined(Monitor)) throw new ArgumentOutOfRangeException(nameof(Monitor), Monitor, "Unknown early-stopping monitor.");
        ArgumentNullException.ThrowIfNull(ClassWeights);
        if (BalancedSampling && ClassWeights.Kind != ClassWeightingKind.None)
            throw new ArgumentException("BalancedSampling and ClassWeights both rebalance the classes; use one of them.", nameof(BalancedSampling));
        if (LinearSkip is { } skip)
        {
            skip.Validate();
            if (HiddenLayers.Count == 0)
                throw new ArgumentException("LinearSkip needs at least one hidden layer (without one the MLP is the linear head itself).", nameof(LinearSkip));
            if (Activation == Activation.Gelu && HiddenLayers.Count > 1)
                throw new ArgumentException("LinearSkip with GELU needs exactly one hidden layer (GELU does not pass the skip units through a second layer unchanged); use Relu or one layer.", nameof(LinearSkip));
        }
    }

    /// <summary>The settings as ordered name/value pairs (invariant culture), for reports and model metadata.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToPairs()
    {
        var culture = CultureInfo.InvariantCulture;
        return
        [
            new("hidden_layers", "[" + string.Join(",", HiddenLayers) + "]"),
            new("activation", Activation.ToString().ToLowerInvariant()),
            new("dropout", Dropout.ToString("R", culture)),
            new("optimizer", Optimizer.ToString()),
            new("learning_rate", LearningRate.ToString("R", culture)),
            new("weight_decay", WeightDecay.ToString("R", culture)),
            new("betas", Beta1.ToString("R", culture) + "," + Beta2.ToString("R", culture)),
            new("epsilon", Epsilon.ToString("R", culture)),
            new("schedule", Schedule.ToString()),
            new("batch_size", BatchSize == AutoBatchSize ? "auto" : BatchSize.ToString(culture)),
            new("epochs", Epochs.ToString(culture)),
            new("validation_fraction", ValidationFraction.ToString("R", culture)),
            new("early_stopping_patience", EarlyStoppingPatience?.ToString(culture) ?? "none"),
            new("early_stopping_monitor", Monitor.ToString().ToLowerInvariant()),
            new("restore_best_weights", RestoreBestWeights ? "true" : "false"),
            new("label_smoothing", LabelSmoothing.ToString("R", culture)),
            new("preprocessing", Preprocessing.ToString()),
            new("class_weights", ClassWeights.ToString()),
            new("balanced_sampling", BalancedSampling ? "true" : "false"),
            new("linear_skip", LinearSkip is null ? "none" : "softmax C=" + LinearSkip.C.ToString("R", culture)),
            new("seed", Seed.ToString(culture)),
        ];
    }

    /// <summary>A short label for sweep tables, e.g. "[1024] relu drop 0.2 lr 0.001 wd 0.0001".</summary>
    public string Describe()
    {
        var culture = CultureInfo.InvariantCulture;
        return $"[{string.Join(",", HiddenLayers)}] {Activation.ToString().ToLowerInvariant()} drop {Dropout.ToString(culture)} " +
               $"lr {LearningRate.ToString(culture)} wd {WeightDecay.ToString(culture)}";
    }
}
