using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Ood;
using OnnxTransfer.Training.Selection;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer train --cache DIR --head softmax|mlp|centroid --out head.onnx</c>: fits a head on the training split of an
/// embedding cache (selecting softmax regression's L2 strength by cross-validation on that split unless given), reports
/// metrics on the training and evaluation splits, and exports the head to ONNX with its labels, settings, metrics and
/// the cache fingerprint. The evaluation split is only ever scored, never used to choose anything (the MLP's early
/// stopping watches a carve-out of the training split).
/// </summary>
public static class TrainCommand
{
    private static readonly TrainingInputs Inputs = new();
    private static readonly Option<string> HeadKind = new("--head") { Description = "Head to train: softmax (multinomial logistic regression), mlp, centroid (nearest class mean of unit-length embeddings) or knn (cosine k nearest neighbours, votes weighted by softmax(10·cosine)); the last two are for a few labels per class.", DefaultValueFactory = _ => "softmax" };
    private static readonly Option<int> K = new("--k") { Description = "knn: neighbours that vote (all training rows when fewer).", DefaultValueFactory = _ => NearestNeighboursTrainer.DefaultK };
    private static readonly Option<bool> FewShotCurveOption = new("--few-shot-curve") { Description = "centroid, knn: also measure accuracy on the evaluation split with 1, 2, 4, 8 and 16 training rows per class (mean ± sd over 5 draws seeded by --seed); printed, in --json and in the --report." };
    private static readonly Option<string> L2 = new("--l2") { Description = "Softmax, and the MLP's linear skip path: L2 strength (1/C), or auto to choose C on the training split: a warm-started regularisation path under stratified cross-validation, stopped past the peak and refined around it.", DefaultValueFactory = _ => "auto" };
    private static readonly Option<int?> Folds = new("--cv") { Description = "Folds of the stratified cross-validation (softmax --l2 auto: default 5; mlp: report a CV estimate)." };
    private static readonly Option<string> Hidden = new("--hidden") { Description = "MLP hidden layer widths, e.g. 1024,256.", DefaultValueFactory = _ => "1024" };
    private static readonly Option<string> ActivationOption = new("--activation") { Description = "MLP hidden activation: relu or gelu.", DefaultValueFactory = _ => "relu" };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "MLP: maximum epochs (cosine learning-rate decay over them).", DefaultValueFactory = _ => 20 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "MLP: rows per mini-batch; 0 = auto (a power of two near rows/8 within 16..256).", DefaultValueFactory = _ => MlpSettings.AutoBatchSize };
    private static readonly Option<double> LearningRate = new("--lr") { Description = "MLP: Adam learning rate.", DefaultValueFactory = _ => 1e-3 };
    private static readonly Option<double> Dropout = new("--dropout") { Description = "MLP: dropout after each hidden layer, 0 ≤ p < 1.", DefaultValueFactory = _ => 0.5 };
    private static readonly Option<double> WeightDecay = new("--weight-decay") { Description = "MLP: AdamW (decoupled) weight decay.", DefaultValueFactory = _ => 0.05 };
    private static readonly Option<double> LabelSmoothing = new("--label-smoothing") { Description = "MLP: label smoothing ε, 0 ≤ ε < 1.", DefaultValueFactory = _ => 0.0 };
    private static readonly Option<string> ClassWeight = new("--class-weight") { Description = "none, or balanced (weight n/(K·n_c) per class).", DefaultValueFactory = _ => "none" };
    private static readonly Option<string> Balance = new("--balance")
    {
        Description = "Class balance: none; weights (as --class-weight balanced); or sampling (MLP: class-balanced mini-batches; softmax: smaller classes oversampled to the largest). Not with --class-weight.",
        DefaultValueFactory = _ => "none",
    };
    private static readonly Option<string> Skip = new("--skip")
    {
        Description = "MLP: linear, a linear skip path (the softmax head --l2 selects, fitted on the MLP's training rows and kept fixed; the hidden branch starts at zero, so early stopping can keep the linear head); none, a plain MLP.",
        DefaultValueFactory = _ => "linear",
    };
    private static readonly Option<string> SelectMetric = new("--select-metric")
    {
        Description = "What cross-validation selects by (softmax --l2 auto, --cv) and MLP early stopping watches: accuracy, balanced-accuracy, macro-f1 or log-loss.",
        DefaultValueFactory = _ => "accuracy",
    };
    private static readonly Option<string> Calibrate = new("--calibrate")
    {
        Description = "temperature: fit a temperature on held-out logits of the training split (softmax: out-of-fold; mlp: its early-stopping carve-out) and fold it into the head; none: leave the probabilities as fitted.",
        DefaultValueFactory = _ => "temperature",
    };
    private static readonly Option<bool> Standardize = new("--standardize") { Description = "Standardise features with training-split statistics (the default)." };
    private static readonly Option<bool> NoStandardize = new("--no-standardize") { Description = "Do not standardise features." };
    private static readonly Option<bool> L2Normalize = new("--l2-normalize") { Description = "Scale every embedding to unit length first." };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seeds folds, initialisation, shuffling and dropout.", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> WarmStart = new("--warm-start") { Description = "Start from this head.onnx (same labels, dimension and architecture)." };
    private static readonly Option<string> Out = new("--out") { Description = "Where to write the head (.onnx).", Required = true };
    private static readonly Option<int> Opset = new("--opset") { Description = "ONNX opset of the head (13–23; use the backbone's to compose with it).", DefaultValueFactory = _ => 17 };
    private static readonly Option<string?> Report = new("--report") { Description = "Write an HTML report here (and its JSON beside it)." };
    private static readonly Option<string> Ood = new("--ood")
    {
        Description = "Out-of-distribution score the head outputs as ood_score (higher = less like the training data): mahalanobis (distance to the nearest class mean under the shared training covariance), energy (−logsumexp of the logits), msp (−max probability), or none.",
        DefaultValueFactory = _ => OodMethod.None,
    };
    private static readonly Option<double> OodFpr = new("--ood-fpr") { Description = "--ood: share of held-out (out-of-fold) training rows the threshold may flag, in (0, 1).", DefaultValueFactory = _ => OodFitter.DefaultFalsePositiveRate };
    private static readonly Option<string?> OodEval = new("--ood-eval") { Description = "--ood: a cache of out-of-distribution inputs (e.g. another dataset or a flat folder of images, same backbone; labels not needed); reports the AUROC of the evaluation split against it." };
    private static readonly Option<string?> OodHoldoutClass = new("--ood-holdout-class") { Description = "--ood: also measure how an unseen class would score: learn a second detector (same method) without this class's training rows and report the AUROC of its evaluation rows against the other classes'. Measures only; the head and its detector keep every class." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the summary as one JSON object." };

    public static Command Create()
    {
        var command = new Command("train", "Train a softmax, MLP or nearest-centroid head on a cache's training split and export it to ONNX.");
        Inputs.AddTo(command);
        foreach (var option in new Option[]
                 {
                     HeadKind, K, FewShotCurveOption, L2, Folds, Hidden, ActivationOption, Epochs, BatchSize, LearningRate, Dropout, WeightDecay, LabelSmoothing,
                     ClassWeight, Balance, Skip, SelectMetric, Calibrate, Standardize, NoStandardize, L2Normalize, Seed, WarmStart, Inputs.TrainViews, Out, Opset, Ood, OodFpr, OodEval, OodHoldoutClass, Report, Json,
                 })
            command.Options.Add(option);
        HeadKind.AcceptOnlyFromAmong("softmax", "mlp", "centroid", "knn");
        K.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--k must be at least 1."); });
        ActivationOption.AcceptOnlyFromAmong("relu", "gelu");
        ClassWeight.AcceptOnlyFromAmong("none", "balanced");
        Balance.AcceptOnlyFromAmong("none", "weights", "sampling");
        Skip.AcceptOnlyFromAmong("linear", "none");
        SelectMetric.AcceptOnlyFromAmong("accuracy", "balanced-accuracy", "macro-f1", "log-loss");
        Calibrate.AcceptOnlyFromAmong("none", "temperature");
        Ood.AcceptOnlyFromAmong([.. OodMethod.All]);
        OodFpr.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (> 0 and < 1)) r.AddError("--ood-fpr must lie in (0, 1), e.g. 0.05."); });
        Folds.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 2) r.AddError("--cv needs at least 2 folds (5 is usual)."); });
        Opset.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < HeadExportOptions.MinimumOpset or > HeadExportOptions.MaximumOpset)
                r.AddError($"--opset must be within {HeadExportOptions.MinimumOpset}..{HeadExportOptions.MaximumOpset}.");
        });
        command.SetHandler((parseResult, _) => TrainingErrors.Translate(() => Execute(parseResult)));
        return command;
    }

    private static int Execute(ParseResult parseResult)
    {
        var stopwatch = Stopwatch.StartNew();
        bool mlp = parseResult.GetValue(HeadKind) == "mlp";
        bool knn = parseResult.GetValue(HeadKind) == "knn";
        bool centroid = knn || parseResult.GetValue(HeadKind) == "centroid";
        if (!knn && IsGiven(parseResult, K)) throw new CliException("--k applies to --head knn; add --head knn, or leave it out.", ExitCodes.Usage);
        if (!centroid && parseResult.GetValue(FewShotCurveOption))
            throw new CliException("--few-shot-curve applies to --head centroid or knn (the heads for a few labels); add one of them, or leave it out.", ExitCodes.Usage);
        if (centroid) CheckOptionsFitTheCentroid(parseResult, knn);
        else CheckOptionsFitTheHead(parseResult, mlp);
        OodOptions.Check(parseResult.GetValue(Ood)!, knn ? Head.NearestNeighboursKind : Head.SoftmaxRegressionKind, IsGiven(parseResult, OodFpr), IsGiven(parseResult, OodEval) || IsGiven(parseResult, OodHoldoutClass));
        var preprocessing = TrainingErrors.Preprocessing(parseResult, Standardize, NoStandardize, L2Normalize);
        var (classWeights, balancedSampling) = ParseBalance(parseResult);
        int seed = parseResult.GetValue(Seed);
        var compute = Inputs.Compute(parseResult);
        var metric = ParseMetric(parseResult.GetValue(SelectMetric)!);
        bool calibrate = parseResult.GetValue(Calibrate) == "temperature";

        var dataset = Inputs.OpenDataset(parseResult);
        var plan = dataset.PlanSplits(parseResult.GetValue(Inputs.TrainSplit), parseResult.GetValue(Inputs.EvalSplit));
        string l2 = parseResult.GetValue(L2)!;
        bool skip = mlp && parseResult.GetValue(Skip) == "linear";
        bool selectC = (skip || !mlp) && !centroid && l2 == "auto";
        var notes = new List<string>(plan.Notes);
        var warmStart = parseResult.GetValue(WarmStart) is { } warmPath ? LoadWarmStart(warmPath, mlp, dataset, notes) : null;
        if (warmStart is not null && skip)
            throw new CliException("--warm-start continues a plain MLP; add --skip none (the linear skip path starts the MLP from the selected softmax head instead).", ExitCodes.Usage);
        var softmax = new SoftmaxRegressionSettings { Preprocessing = preprocessing, ClassWeights = classWeights, BalancedSampling = balancedSampling, Seed = seed };
        if ((skip || !mlp) && !centroid && !selectC) softmax = softmax with { C = 1 / ParseL2(l2) };
        var settings = new HeadTrainingSettings
        {
            Kind = knn ? Head.NearestNeighboursKind : centroid ? Head.NearestCentroidKind : mlp ? Head.MlpKind : Head.SoftmaxRegressionKind,
            Softmax = softmax,
            SelectC = selectC,
            Mlp = mlp ? ParseMlpSettings(parseResult, preprocessing, classWeights, metric, seed) with
            {
                BalancedSampling = balancedSampling, LinearSkip = skip ? softmax : null,
            } : new MlpSettings(),
            Neighbours = parseResult.GetValue(K),
            FewShotCurve = parseResult.GetValue(FewShotCurveOption),
            Folds = parseResult.GetValue(Folds),
            Seed = seed,
            Metric = metric,
            Calibrate = calibrate,
            WarmStart = warmStart,
            Compute = compute,
            Budget = Inputs.Budget(parseResult),
            TrainViews = Inputs.TrainViewsOf(parseResult, dataset, notes),
        };
        settings = OodOptions.Apply(settings, parseResult.GetValue(Ood)!, parseResult.GetValue(OodFpr), parseResult.GetValue(OodEval), parseResult.GetValue(OodHoldoutClass),
            dataset, path => Inputs.OpenDataset(parseResult, path));
        var result = HeadTrainingRun.Train(dataset, plan, settings);
        notes.AddRange(result.Notes);
        var outcome = new TrainingOutcome { Command = "train", Result = result, HeadPath = parseResult.GetValue(Out) };
        outcome.Notes.AddRange(notes);
        outcome.Finish(parseResult.GetValue(Opset), parseResult.GetValue(Report), $"{result.Head.Kind} head on {Path.GetFileName(dataset.Root.TrimEnd('/'))}");
        outcome.Seconds = stopwatch.Elapsed.TotalSeconds;
        outcome.Print(parseResult.GetValue(Json));
        return ExitCodes.Success;
    }

    /// <summary>The --warm-start head, refused unless of the kind being fitted; a head of another cache is noted.</summary>
    private static Head LoadWarmStart(string path, bool mlp, EmbeddingDataset dataset, List<string> notes)
    {
        var imported = HeadOnnxImporter.Load(path);
        string wanted = mlp ? Head.MlpKind : Head.SoftmaxRegressionKind;
        if (imported.Head.Kind != wanted)
            throw new CliException($"--warm-start '{path}' is a {imported.Head.Kind} head; warm-starting a {wanted} fit needs a {wanted} head " +
                                   "with the same labels (and, for an MLP, the same --hidden and --activation).", ExitCodes.Usage);
        if (imported.Fingerprint is { } headPrint && dataset.Fingerprint is { } cachePrint && headPrint.Sha256 != cachePrint.Sha256)
            notes.Add($"the warm-start head was trained on another cache (fingerprint {headPrint.Short} vs {cachePrint.Short})");
        return imported.Head;
    }

    private static MlpSettings ParseMlpSettings(ParseResult parseResult, PreprocessingKind preprocessing, ClassWeighting classWeights, SelectionMetric metric, int seed) => new()
    {
        HiddenLayers = ParseHidden(parseResult.GetValue(Hidden)!),
        Activation = parseResult.GetValue(ActivationOption) == "gelu" ? Activation.Gelu : Activation.Relu,
        Epochs = parseResult.GetValue(Epochs),
        BatchSize = parseResult.GetValue(BatchSize),
        LearningRate = parseResult.GetValue(LearningRate),
        Dropout = parseResult.GetValue(Dropout),
        WeightDecay = parseResult.GetValue(WeightDecay),
        LabelSmoothing = parseResult.GetValue(LabelSmoothing),
        Preprocessing = preprocessing,
        ClassWeights = classWeights,
        Monitor = metric switch
        {
            SelectionMetric.LogLoss => EarlyStoppingMonitor.Loss,
            SelectionMetric.BalancedAccuracy => EarlyStoppingMonitor.BalancedAccuracy,
            SelectionMetric.MacroF1 => EarlyStoppingMonitor.MacroF1,
            _ => EarlyStoppingMonitor.Accuracy,
        },
        Seed = seed,
    };

    /// <summary>--balance, or the older --class-weight: (class weights, balanced sampling); both given is refused.</summary>
    private static (ClassWeighting Weights, bool Sampling) ParseBalance(ParseResult parseResult)
    {
        if (IsGiven(parseResult, Balance) && IsGiven(parseResult, ClassWeight))
            throw new CliException("--balance and --class-weight both set the class balance; give one (--balance weights is --class-weight balanced).", ExitCodes.Usage);
        string balance = parseResult.GetValue(Balance)!;
        bool weights = balance == "weights" || parseResult.GetValue(ClassWeight) == "balanced";
        return (weights ? ClassWeighting.Balanced : ClassWeighting.None, balance == "sampling");
    }

    /// <summary>Options of the other head kind are refused rather than silently ignored.</summary>
    private static void CheckOptionsFitTheHead(ParseResult parseResult, bool mlp)
    {
        // An MLP's --l2 sets its linear skip path's C, so it needs the skip.
        bool plainMlp = mlp && parseResult.GetValue(Skip) == "none";
        var misplaced = mlp
            ? new Option[] { L2 }.Where(o => plainMlp && IsGiven(parseResult, o)).Select(o => o.Name).ToArray()
            : new Option[] { Hidden, ActivationOption, Epochs, BatchSize, LearningRate, Dropout, WeightDecay, LabelSmoothing, Skip }
                .Where(o => IsGiven(parseResult, o)).Select(o => o.Name).ToArray();
        if (misplaced.Length == 0) return;
        throw new CliException(mlp
            ? $"{string.Join(", ", misplaced)} sets the linear skip path's C, and --skip none has none; an MLP is regularised with --weight-decay and --dropout."
            : $"{string.Join(", ", misplaced)} applies to --head mlp; add --head mlp, or leave {(misplaced.Length == 1 ? "it" : "them")} out.", ExitCodes.Usage);
    }

    /// <summary>
    /// A nearest-centroid head has nothing to tune: it always works on unit-length rows and has no optimiser, so every
    /// fitting option is refused rather than silently ignored.
    /// </summary>
    private static void CheckOptionsFitTheCentroid(ParseResult parseResult, bool knn)
    {
        var misplaced = new Option[]
            {
                L2, Folds, Hidden, ActivationOption, Epochs, BatchSize, LearningRate, Dropout, WeightDecay, LabelSmoothing,
                ClassWeight, Balance, Skip, SelectMetric, Calibrate, Standardize, NoStandardize, L2Normalize, WarmStart,
            }
            .Where(o => IsGiven(parseResult, o)).Select(o => o.Name).ToArray();
        if (misplaced.Length == 0) return;
        throw new CliException($"{string.Join(", ", misplaced)} does not apply to --head {(knn ? "knn" : "centroid")} (it always compares unit-length embeddings by cosine " +
                               "and has no optimiser); leave it out, or use --head softmax or mlp.", ExitCodes.Usage);
    }

    internal static bool IsGiven(ParseResult parseResult, Option option) => parseResult.GetResult(option) is { Implicit: false };

    internal static SelectionMetric ParseMetric(string text) => text switch
    {
        "balanced-accuracy" => SelectionMetric.BalancedAccuracy,
        "macro-f1" => SelectionMetric.MacroF1,
        "log-loss" => SelectionMetric.LogLoss,
        _ => SelectionMetric.Accuracy,
    };

    private static double ParseL2(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)) return value;
        throw new CliException($"--l2 must be auto or a positive number (the L2 strength 1/C, e.g. 0.1), not '{text}'.", ExitCodes.Usage);
    }

    private static int[] ParseHidden(string text)
    {
        if (text.Trim() is "" or "none") return [];
        var widths = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[widths.Length];
        for (int i = 0; i < widths.Length; i++)
        {
            if (!int.TryParse(widths[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
                throw new CliException($"--hidden takes layer widths separated by commas, e.g. 1024,256 (got '{text}').", ExitCodes.Usage);
        }
        return result;
    }
}
