using System.Diagnostics;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Trains an MLP head (dense layers with ReLU/GELU, dropout, Adam/AdamW, schedule, early stopping, label smoothing) on
/// mini-batches of float rows through BLAS. Settings in the constructor; <see cref="Fit"/> returns the learned
/// <see cref="Head"/> with its learning curves. The same settings and seed give the same head, bit for bit, for any
/// number of worker threads.
/// </summary>
public sealed class MlpTrainer
{
    private readonly ComputeOptions _compute;

    /// <exception cref="ArgumentOutOfRangeException">An invalid setting (the message gives a valid range).</exception>
    public MlpTrainer(MlpSettings? settings = null, ComputeOptions? compute = null)
    {
        Settings = settings ?? new MlpSettings();
        Settings.Validate();
        _compute = compute ?? ComputeOptions.Default;
        _compute.CreateContext();
    }

    public MlpSettings Settings { get; }

    /// <summary>
    /// Fits on <paramref name="train"/>. Early stopping watches <paramref name="validation"/> when given, else a
    /// stratified <see cref="MlpSettings.ValidationFraction"/> of <paramref name="train"/> (never a test split).
    /// Preprocessing and balanced class weights are learned on the rows actually trained on.
    /// <paramref name="warmStart"/> (an MLP head of the same architecture and labels) replaces the random initialisation.
    /// A streamed split's mini-batches come from a <see cref="StreamedBatchSource"/>: every epoch visits the row groups
    /// in a new seeded order and shuffles rows within a window of <see cref="StreamedSplit.ChunkRows"/> rows (see the
    /// module README); it converges like the in-memory fit, not to the same bits.
    /// </summary>
    /// <exception cref="TrainingDataException">One class only, a class without rows, mismatched splits or warm start.</exception>
    public Head Fit(TrainingData train, TrainingData? validation = null, Head? warmStart = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Fit(train, validation, warmStart, _compute.CreateContext());
    }

    /// <summary>
    /// As <see cref="Fit(TrainingData, TrainingData?, Head?)"/>; with <see cref="MlpSettings.LinearSkip"/>,
    /// <paramref name="linearStart"/> (a softmax head over the same labels, e.g. the one model selection refitted on the
    /// whole split) warm-starts the skip path's fit on the rows the MLP trains on, which then takes a few iterations.
    /// </summary>
    public Head Fit(TrainingData train, TrainingData? validation, Head? warmStart, Head? linearStart)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Fit(train, validation, warmStart, _compute.CreateContext(), linearStart);
    }

    internal Head Fit(TrainingData train, TrainingData? validation, Head? warmStart, ComputeContext context, Head? linearStart = null)
    {
        var stopwatch = Stopwatch.StartNew();
        TrainingChecks.RequireTrainable(train);
        (var fitPart, validation) = SplitForEarlyStopping(train, validation);
        var preprocessing = FeaturePreprocessing.Fit(Settings.Preprocessing, fitPart.Rows(FeaturePreprocessing.Identity, context), context);
        // The skip path is fitted before the rows are preprocessed in place (it learns its own standardisation).
        (float[] Weights, float[] Bias)? skip = Settings.LinearSkip is { } skipSettings ? FitLinearSkip(skipSettings, fitPart, preprocessing, linearStart, context) : null;
        var wholeSplitLinear = skip is not null ? WholeSplitLinear(linearStart, Settings.LinearSkip!, train, preprocessing) : null;
        // A carved-out part is this fit's own copy and can be preprocessed in place; the caller's splits are left alone.
        bool carved = !ReferenceEquals(fitPart, train);
        int batchRows = Settings.ResolveBatchSize(fitPart.Count);
        using var source = Settings.BalancedSampling
            ? BalancedBatchSource.Create(fitPart, preprocessing, Settings.Seed, context, ownsFeatures: carved)
            : fitPart.Batches(preprocessing, Settings.Seed, batchRows, context, ownsFeatures: carved);
        var validationRows = validation is null ? null : new ValidationRows(validation.Rows(preprocessing, context, ownsFeatures: carved), validation.LabelArray);
        return FitCore(fitPart.Labelled, source, preprocessing, validationRows, warmStart, skip, wholeSplitLinear, context, stopwatch);
    }

    /// <summary>
    /// <paramref name="linearStart"/> as skip weights in this fit's standardisation when it is the softmax head at the skip's
    /// C fitted on the whole of <paramref name="train"/> (the model selection's refit): when early stopping keeps epoch
    /// 0, the MLP becomes that head, which saw every training row, instead of the fit on the rows left after the carve-out.
    /// </summary>
    private static (float[] Weights, float[] Bias)? WholeSplitLinear(Head? linearStart, SoftmaxRegressionSettings skip, TrainingData train, FeaturePreprocessing preprocessing)
    {
        if (linearStart is not { Kind: Head.SoftmaxRegressionKind, Training: { } training } || training.TrainingRows != train.Count
            || !linearStart.Labels.SequenceEqual(train.Classes, StringComparer.Ordinal) || linearStart.InputDimension != train.Dimension
            || linearStart.Preprocessing.L2Normalize != preprocessing.L2Normalize
            || !training.Settings.SequenceEqual(skip.ToPairs()))
            return null;
        var (weights, bias) = WarmStart.FirstLayerFor(WarmStart.Uncalibrated(linearStart), preprocessing);
        return (Array.ConvertAll(weights, w => (float)w), Array.ConvertAll(bias, b => (float)b));
    }

    /// <summary>
    /// The skip path: softmax regression on the MLP's own training rows (never the carve-out, so epoch 0's held-out
    /// score is honest), re-expressed in the MLP's standardisation.
    /// </summary>
    private static (float[] Weights, float[] Bias) FitLinearSkip(SoftmaxRegressionSettings settings, TrainingData fitPart,
        FeaturePreprocessing preprocessing, Head? linearStart, ComputeContext context)
    {
        var start = linearStart is not null && linearStart.Kind == Head.SoftmaxRegressionKind
            && linearStart.Labels.SequenceEqual(fitPart.Classes, StringComparer.Ordinal) && linearStart.InputDimension == fitPart.Dimension
            && linearStart.Preprocessing.L2Normalize == preprocessing.L2Normalize ? linearStart : null;
        var linear = new SoftmaxRegressionTrainer(settings, context.Options).Fit(fitPart, start);
        var (weights, bias) = WarmStart.FirstLayerFor(linear, preprocessing);
        return (Array.ConvertAll(weights, w => (float)w), Array.ConvertAll(bias, b => (float)b));
    }

    /// <summary>
    /// The training loop, whatever the rows' source: per epoch shuffle, then per mini-batch forward, loss, backward and an
    /// Adam step; then validate and keep the best epoch's weights.
    /// </summary>
    private Head FitCore(LabelledRows fitPart, IBatchSource source, FeaturePreprocessing preprocessing, ValidationRows? validation,
        Head? warmStart, (float[] Weights, float[] Bias)? skip, (float[] Weights, float[] Bias)? wholeSplitLinear, ComputeContext context, Stopwatch stopwatch)
    {
        var settings = Settings;
        var counts = TrainingChecks.RequireTrainable(fitPart);
        var classWeights = Array.ConvertAll(settings.ClassWeights.Resolve(fitPart), w => (float)w);
        if (skip is not null && warmStart is not null)
            throw new ArgumentException("A warm start and a linear skip path both set the starting weights; fit with LinearSkip = null to warm-start.", nameof(warmStart));

        int d = fitPart.Dimension, capacity = Math.Min(settings.ResolveBatchSize(fitPart.Count), fitPart.Count);
        var network = new MlpNetwork(d, settings.HiddenLayers, fitPart.Classes.Count, settings.Activation, capacity);
        if (warmStart is null) network.Initialize(DeterministicRandom.For(settings.Seed, 0x1417));
        else LoadWarmStart(network, warmStart, fitPart, preprocessing);
        if (skip is { } linear) network.SetLinearSkip(linear.Weights, linear.Bias);
        var optimizer = new AdamOptimizer(settings);
        for (int l = 0; l < network.LayerCount; l++)
        {
            optimizer.Add(network.Weights[l], network.WeightGradients[l], decayed: true);
            optimizer.Add(network.Biases[l], network.BiasGradients[l], decayed: false);
        }

        var batchFeatures = new float[capacity * d];
        var batchLabels = new int[capacity];
        int stepsPerEpoch = (fitPart.Count + capacity - 1) / capacity, totalSteps = stepsPerEpoch * settings.Epochs, step = 0;
        float dropout = (float)settings.Dropout, smoothing = (float)settings.LabelSmoothing;
        var history = new List<EpochRecord>(settings.Epochs);
        var (bestWeights, bestBiases) = network.AllocateParameterCopy();
        double bestLoss = double.PositiveInfinity, bestScore = double.NegativeInfinity;
        int bestEpoch = 0;
        bool stoppedEarly = false;
        // With a skip path, epoch 0 is the linear head alone: the baseline the kept epoch must beat (see LinearBaseline).
        LinearBaseline? baseline = null;
        bool[]? correct = null, bestCorrect = null;
        if (skip is not null && validation is not null)
        {
            correct = new bool[validation.Labels.Length];
            bestCorrect = new bool[correct.Length];
            var (loss, score, _) = Evaluate(network, context, validation, batchFeatures, settings.Monitor, correct);
            baseline = new LinearBaseline(loss, score, (bool[])correct.Clone(), network.AllocateParameterCopy());
            network.CopyParametersTo(baseline.Parameters.Weights, baseline.Parameters.Biases);
        }
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            source.StartEpoch(epoch);
            double lossSum = 0, weightSum = 0, rate = 0;
            int rows;
            while ((rows = source.NextBatch(batchFeatures, batchLabels, capacity)) > 0)
            {
                rate = settings.Schedule.At(settings.LearningRate, step, stepsPerEpoch, totalSteps);
                network.Forward(context, batchFeatures, rows, dropout, settings.Seed, step);
                lossSum += network.Loss(batchLabels, rows, classWeights, smoothing, out var batchWeight);
                weightSum += batchWeight;
                network.Backward(context, batchFeatures, rows);
                optimizer.Step(context, rate);
                step++;
            }

            double trainLoss = lossSum / weightSum;
            if (!double.IsFinite(trainLoss))
                throw new InvalidOperationException(
                    $"Training diverged at epoch {epoch + 1} (loss {trainLoss}); lower LearningRate (now {settings.LearningRate}) or keep Standardize preprocessing.");
            var (validationLoss, validationScore, validationAccuracy) = validation is null
                ? (double.NaN, double.NaN, double.NaN) : Evaluate(network, context, validation, batchFeatures, settings.Monitor, correct);
            history.Add(new EpochRecord(epoch + 1, trainLoss, validationLoss, validationAccuracy, rate));

            if (validation is null) continue;
            bool improved = settings.Monitor == EarlyStoppingMonitor.Loss
                ? validationLoss < bestLoss
                : validationScore > bestScore || (validationScore == bestScore && validationLoss < bestLoss);
            if (improved)
            {
                bestLoss = validationLoss;
                bestScore = validationScore;
                bestEpoch = epoch + 1;
                network.CopyParametersTo(bestWeights, bestBiases);
                correct?.CopyTo(bestCorrect!, 0);
            }
            else if (settings.EarlyStoppingPatience is int patience && epoch + 1 - bestEpoch >= patience)
            {
                stoppedEarly = epoch + 1 < settings.Epochs;
                break;
            }
        }

        int keptEpoch = history.Count;
        if (validation is not null && settings.RestoreBestWeights && bestEpoch > 0)
        {
            network.LoadParameters(bestWeights, bestBiases);
            keptEpoch = bestEpoch;
        }
        if (baseline is not null && settings.RestoreBestWeights && (keptEpoch == 0 || !baseline.IsBeaten(settings.Monitor, bestLoss, bestScore, bestCorrect!)))
        {
            network.LoadParameters(baseline.Parameters.Weights, baseline.Parameters.Biases);
            if (wholeSplitLinear is { } whole) network.SetLinearSkip(whole.Weights, whole.Bias);
            keptEpoch = 0;
        }
        var info = new HeadTrainingInfo
        {
            Settings = settings.ToPairs(),
            TrainingRows = fitPart.Count,
            TrainingRowsPerClass = counts,
            History = new MlpTrainingHistory { Epochs = history, BestEpoch = keptEpoch, StoppedEarly = stoppedEarly, ValidationRows = validation?.Labels.Length ?? 0 },
            Seconds = stopwatch.Elapsed.TotalSeconds,
        };
        return new Head(Head.MlpKind, fitPart.Classes, preprocessing, network.ToLayers(settings.Activation), info);
    }

    /// <summary>The rows to fit on and the rows early stopping watches: the given validation split, or a carve-out.</summary>
    private (TrainingData Fit, TrainingData? Validation) SplitForEarlyStopping(TrainingData train, TrainingData? validation)
    {
        if (validation is not null)
        {
            if (validation.Dimension != train.Dimension)
                throw new TrainingDataException(
                    $"Validation split '{validation.Name}' has {validation.Dimension}-d embeddings, training split '{train.Name}' {train.Dimension}-d.", validation.Name);
            return (train, validation.WithClasses(train.Classes));
        }
        if (Settings.ValidationFraction == 0) return (train, null);
        var (kept, heldOut) = StratifiedSplit.HoldOut(train.Labelled, Settings.ValidationFraction, Settings.Seed);
        return heldOut.Length == 0 ? (train, null) : (train.Subset(kept, train.Name), train.Subset(heldOut, train.Name + "/validation"));
    }

    /// <summary>Preprocessed validation rows (in memory or streamed) and their class indices.</summary>
    private sealed record ValidationRows(IRowChunks Features, int[] Labels);

    /// <summary>
    /// Mean (unweighted, unsmoothed) log-loss of the validation rows, without dropout, and the score
    /// <paramref name="monitor"/> ranks epochs by (accuracy for <see cref="EarlyStoppingMonitor.Loss"/>).
    /// </summary>
    private static (double Loss, double Score, double Accuracy) Evaluate(MlpNetwork network, ComputeContext context, ValidationRows validation, float[] batch,
        EarlyStoppingMonitor monitor, bool[]? correct = null)
    {
        int classes = network.Classes, capacity = network.Capacity, d = network.InputsOf(0);
        var labels = validation.Labels;
        var confusion = new int[classes * classes];
        double loss = 0;
        validation.Features.ForEach((features, firstRow, chunkRows) =>
        {
            for (int start = 0; start < chunkRows; start += capacity)
            {
                int rows = Math.Min(capacity, chunkRows - start);
                Array.Copy(features, (long)start * d, batch, 0, (long)rows * d);
                network.Forward(context, batch, rows, 0f, 0, 0);
                var p = network.Probabilities(rows);
                for (int i = 0; i < rows; i++)
                {
                    var row = p.Slice(i * classes, classes);
                    int label = labels[firstRow + start + i];
                    loss -= Math.Log(Math.Max(row[label], 1e-12f));
                    int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
                    confusion[label * classes + predicted]++;
                    if (correct is not null) correct[firstRow + start + i] = predicted == label;
                }
            }
        });
        return (loss / labels.Length, EarlyStoppingScore.From(confusion, classes, monitor), EarlyStoppingScore.From(confusion, classes, EarlyStoppingMonitor.Accuracy));
    }

    private void LoadWarmStart(MlpNetwork network, Head head, LabelledRows train, FeaturePreprocessing preprocessing)
    {
        WarmStart.CheckCompatible(head, Head.MlpKind, train, preprocessing);
        head = WarmStart.Uncalibrated(head);
        bool sameShape = head.Layers.Count == network.LayerCount;
        for (int l = 0; sameShape && l < network.LayerCount; l++)
        {
            var layer = head.Layers[l];
            sameShape = layer.InputCount == network.InputsOf(l) && layer.OutputCount == network.OutputsOf(l)
                && (l == network.LayerCount - 1 || layer.Activation == Settings.Activation);
        }
        if (!sameShape)
            throw new ArgumentException(
                $"The warm-start head's layers ({string.Join(" → ", head.Layers.Select(l => $"{l.OutputCount} {l.Activation}"))}) do not match " +
                $"HiddenLayers [{string.Join(",", Settings.HiddenLayers)}] with {Settings.Activation}; use the same architecture.", nameof(head));
        var (weights, bias) = WarmStart.FirstLayerFor(head, preprocessing);
        for (int i = 0; i < weights.Length; i++) network.Weights[0][i] = (float)weights[i];
        for (int i = 0; i < bias.Length; i++) network.Biases[0][i] = (float)bias[i];
        for (int l = 1; l < network.LayerCount; l++)
        {
            head.Layers[l].Weights.CopyTo(network.Weights[l], 0);
            head.Layers[l].Bias.CopyTo(network.Biases[l], 0);
        }
    }
}
