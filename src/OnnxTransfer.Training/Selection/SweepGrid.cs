using System.Globalization;
using System.Text.Json;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Selection;

/// <summary>
/// The candidates of a sweep, from a preset or a JSON grid file (format documented in the module README): softmax
/// regression over a C grid, or MLPs over the product of the listed values; the validation scheme and the metric.
/// <see cref="Run(EmbeddingSet, ComputeOptions?)"/> scores them on the training split only and refits the best.
/// </summary>
public sealed class SweepGrid
{
    public const string Format = "onnxtransfer.sweep-grid";

    private SweepGrid(string name, string kind, SoftmaxRegressionSettings? softmax, IReadOnlyList<double>? c, IReadOnlyList<MlpSettings>? mlp,
        ValidationScheme validation, SelectionMetric metric)
    {
        Name = name;
        Kind = kind;
        Softmax = softmax;
        C = c;
        Mlp = mlp;
        Validation = validation;
        Metric = metric;
    }

    /// <summary>The preset's name or the file's path.</summary>
    public string Name { get; }

    /// <summary><see cref="Head.SoftmaxRegressionKind"/> or <see cref="Head.MlpKind"/>.</summary>
    public string Kind { get; }

    /// <summary>Softmax regression: every setting but C.</summary>
    public SoftmaxRegressionSettings? Softmax { get; }

    /// <summary>Softmax regression: the C values.</summary>
    public IReadOnlyList<double>? C { get; }

    /// <summary>MLP: the candidate settings.</summary>
    public IReadOnlyList<MlpSettings>? Mlp { get; }

    public ValidationScheme Validation { get; }

    public SelectionMetric Metric { get; }

    public int CandidateCount => C?.Count ?? Mlp!.Count;

    /// <summary>Preset names and what they try.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Presets { get; } =
    [
        new("softmax-l2", "softmax regression, standardised, 45 C values log-spaced over 1e-6…1e5, stratified 5-fold CV"),
        new("softmax-l2-fast", "softmax regression, standardised, 12 C values log-spaced over 1e-6…1e5, stratified 5-fold CV"),
        new("mlp-small", "MLP, one hidden layer of 256 or 1024 ReLU units, dropout 0 or 0.3, learning rate 1e-3 or 3e-4, 30 epochs, stratified 5-fold CV"),
    ];

    /// <exception cref="ArgumentException">An unknown preset (the message lists the presets).</exception>
    public static SweepGrid Preset(string name, int folds = 5, int seed = 0)
    {
        var validation = ValidationScheme.KFold(folds, seed);
        return name switch
        {
            "softmax-l2" => new SweepGrid(name, Head.SoftmaxRegressionKind, new SoftmaxRegressionSettings(), SoftmaxRegressionSweep.LogGrid(1e-6, 1e5, 45),
                null, validation, SelectionMetric.Accuracy),
            "softmax-l2-fast" => new SweepGrid(name, Head.SoftmaxRegressionKind, new SoftmaxRegressionSettings(), SoftmaxRegressionSweep.LogGrid(1e-6, 1e5, 12),
                null, validation, SelectionMetric.Accuracy),
            "mlp-small" => new SweepGrid(name, Head.MlpKind, null, null,
                MlpSweep.Grid(new MlpSettings { Epochs = 30, BatchSize = 64, Seed = seed }, hiddenLayers: [[256], [1024]],
                    learningRates: [1e-3, 3e-4], dropouts: [0.0, 0.3]), validation, SelectionMetric.Accuracy),
            _ => throw new ArgumentException(
                $"Unknown sweep preset '{name}'. Presets: {string.Join("; ", Presets.Select(p => $"{p.Key} ({p.Value})"))}. Or give a JSON grid file.", nameof(name)),
        };
    }

    /// <summary>A preset name, or the path of a JSON grid file.</summary>
    public static SweepGrid PresetOrFile(string nameOrPath, int folds = 5, int seed = 0)
    {
        if (Presets.Any(p => p.Key == nameOrPath)) return Preset(nameOrPath, folds, seed);
        if (File.Exists(nameOrPath) || nameOrPath.Contains('.') || nameOrPath.Contains('/')) return Load(nameOrPath);
        return Preset(nameOrPath, folds, seed); // not a file either: refused, listing the presets
    }

    /// <exception cref="FormatException">The file is not a valid grid (the message names the field).</exception>
    public static SweepGrid Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No sweep grid file at '{path}' (and it is not a preset: {string.Join(", ", Presets.Select(p => p.Key))}).", path);
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses a grid (see the module README for the fields).</summary>
    public static SweepGrid Parse(string json, string name = "grid")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a sweep grid is a JSON object");
            var known = new HashSet<string>(StringComparer.Ordinal)
            {
                "format", "version", "head", "C", "l2", "preprocessing", "class_weight", "max_iterations", "tolerance",
                "hidden", "activation", "learning_rate", "weight_decay", "dropout", "epochs", "batch_size", "label_smoothing",
                "optimizer", "seed", "folds", "holdout", "metric",
            };
            foreach (var property in root.EnumerateObject())
                if (!known.Contains(property.Name))
                    throw new FormatException($"unknown field '{property.Name}' (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
            if (root.TryGetProperty("format", out var format) && format.GetString() != Format)
                throw new FormatException($"'format' must be '{Format}'");
            if (root.TryGetProperty("version", out var version) && (!version.TryGetInt32(out var v) || v != 1))
                throw new FormatException("this build reads sweep grid version 1");

            try
            {
                int seed = root.TryGetProperty("seed", out var s) ? s.GetInt32() : 0;
                var validation = root.TryGetProperty("holdout", out var h)
                    ? ValidationScheme.HoldOut(h.GetDouble(), seed)
                    : ValidationScheme.KFold(root.TryGetProperty("folds", out var f) ? f.GetInt32() : 5, seed);
                validation.Validate();
                var metric = root.TryGetProperty("metric", out var m) ? ParseMetric(m.GetString()) : SelectionMetric.Accuracy;
                var preprocessing = root.TryGetProperty("preprocessing", out var p) ? ParsePreprocessing(p.GetString()) : PreprocessingKind.Standardize;
                var classWeights = root.TryGetProperty("class_weight", out var cw) ? ParseClassWeights(cw.GetString()) : ClassWeighting.None;
                string head = root.TryGetProperty("head", out var kind) ? kind.GetString() ?? "" : "softmax";
                switch (head)
                {
                    case "softmax" or "softmax-regression":
                    {
                        var settings = new SoftmaxRegressionSettings
                        {
                            Preprocessing = preprocessing,
                            ClassWeights = classWeights,
                            MaxIterations = root.TryGetProperty("max_iterations", out var mi) ? mi.GetInt32() : 1000,
                            Tolerance = root.TryGetProperty("tolerance", out var tol) ? tol.GetDouble() : 1e-4,
                        };
                        settings.Validate();
                        IReadOnlyList<double> grid = root.TryGetProperty("C", out var c) ? Values(c, "C")
                            : root.TryGetProperty("l2", out var l2) ? Values(l2, "l2").Select(x => 1 / x).ToArray()
                            : throw new FormatException("a softmax grid needs 'C' (or 'l2' = 1/C): a list, or {\"log_range\": [from, to, points]}");
                        return new SweepGrid(name, Head.SoftmaxRegressionKind, settings, grid, null, validation, metric);
                    }
                    case "mlp":
                    {
                        var baseSettings = new MlpSettings
                        {
                            Preprocessing = preprocessing,
                            ClassWeights = classWeights,
                            Epochs = root.TryGetProperty("epochs", out var e) ? e.GetInt32() : 30,
                            BatchSize = root.TryGetProperty("batch_size", out var b) ? b.GetInt32() : 64,
                            LabelSmoothing = root.TryGetProperty("label_smoothing", out var ls) ? ls.GetDouble() : 0,
                            Optimizer = root.TryGetProperty("optimizer", out var o) ? ParseOptimizer(o.GetString()) : MlpOptimizer.AdamW,
                            Seed = seed,
                        };
                        var candidates = new List<MlpSettings>();
                        var hidden = root.TryGetProperty("hidden", out var hl) ? Layers(hl) : [[1024]];
                        var activations = root.TryGetProperty("activation", out var a) ? Strings(a, "activation").Select(ParseActivation).ToArray() : [Activation.Relu];
                        foreach (var activation in activations)
                            candidates.AddRange(MlpSweep.Grid(baseSettings with { Activation = activation }, hidden,
                                root.TryGetProperty("learning_rate", out var lr) ? Values(lr, "learning_rate") : null,
                                root.TryGetProperty("weight_decay", out var wd) ? Values(wd, "weight_decay") : null,
                                root.TryGetProperty("dropout", out var dr) ? Values(dr, "dropout") : null));
                        foreach (var candidate in candidates) candidate.Validate();
                        return new SweepGrid(name, Head.MlpKind, null, null, candidates, validation, metric);
                    }
                    default:
                        throw new FormatException($"'head' must be 'softmax' or 'mlp', not '{head}'");
                }
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                throw new FormatException($"invalid value: {e.Message}", e);
            }
        }
    }

    /// <summary>Scores the candidates on <paramref name="train"/> by the grid's validation scheme and refits the best.</summary>
    public SweepResult Run(TrainingData train, ComputeOptions? compute = null) => Kind == Head.MlpKind
        ? new MlpSweep(Mlp!, Validation, Metric, compute).Fit(train)
        : new SoftmaxRegressionSweep(Softmax, C, Validation, Metric, compute).Fit(train);

    /// <summary>The same grid with another validation scheme (e.g. <c>--cv K</c> on the command line).</summary>
    public SweepGrid WithValidation(ValidationScheme validation) => new(Name, Kind, Softmax, C, Mlp, validation, Metric);

    private static double[] Values(JsonElement element, string field)
    {
        if (element.ValueKind == JsonValueKind.Number) return [element.GetDouble()];
        if (element.ValueKind == JsonValueKind.Array) return element.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("log_range", out var range) && range.GetArrayLength() == 3)
            return SoftmaxRegressionSweep.LogGrid(range[0].GetDouble(), range[1].GetDouble(), range[2].GetInt32());
        throw new FormatException($"'{field}' must be a number, a list of numbers, or {{\"log_range\": [from, to, points]}}");
    }

    private static string[] Strings(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Array => element.EnumerateArray().Select(x => x.GetString() ?? throw new FormatException($"'{field}' holds a null")).ToArray(),
        _ => throw new FormatException($"'{field}' must be a string or a list of strings"),
    };

    private static IReadOnlyList<int>[] Layers(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array) throw new FormatException("'hidden' must be a list of layer lists, e.g. [[256], [1024, 256]]");
        var items = element.EnumerateArray().ToArray();
        // [256, 128] alone is one architecture; [[256], [512]] lists several.
        if (items.All(i => i.ValueKind == JsonValueKind.Number)) return [items.Select(i => i.GetInt32()).ToArray()];
        return items.Select(i => i.ValueKind == JsonValueKind.Array
            ? (IReadOnlyList<int>)i.EnumerateArray().Select(x => x.GetInt32()).ToArray()
            : throw new FormatException("'hidden' must be a list of layer lists, e.g. [[256], [1024, 256]]")).ToArray();
    }

    internal static SelectionMetric ParseMetric(string? text) => text switch
    {
        "accuracy" => SelectionMetric.Accuracy,
        "balanced_accuracy" => SelectionMetric.BalancedAccuracy,
        "macro_f1" => SelectionMetric.MacroF1,
        "log_loss" => SelectionMetric.LogLoss,
        _ => throw new FormatException($"'metric' must be accuracy, balanced_accuracy, macro_f1 or log_loss, not '{text}'"),
    };

    internal static PreprocessingKind ParsePreprocessing(string? text) => text switch
    {
        "none" => PreprocessingKind.None,
        "standardize" => PreprocessingKind.Standardize,
        "l2" or "l2-normalize" => PreprocessingKind.L2Normalize,
        "l2-standardize" or "l2-normalize-standardize" => PreprocessingKind.L2NormalizeThenStandardize,
        _ => throw new FormatException($"'preprocessing' must be none, standardize, l2-normalize or l2-normalize-standardize, not '{text}'"),
    };

    private static ClassWeighting ParseClassWeights(string? text) => text switch
    {
        "none" => ClassWeighting.None,
        "balanced" => ClassWeighting.Balanced,
        _ => throw new FormatException($"'class_weight' must be none or balanced, not '{text}'"),
    };

    private static Activation ParseActivation(string text) => text switch
    {
        "relu" => Activation.Relu,
        "gelu" => Activation.Gelu,
        _ => throw new FormatException($"'activation' must be relu or gelu, not '{text}'"),
    };

    private static MlpOptimizer ParseOptimizer(string? text) => text?.ToLowerInvariant() switch
    {
        "adam" => MlpOptimizer.Adam,
        "adamw" => MlpOptimizer.AdamW,
        _ => throw new FormatException($"'optimizer' must be adam or adamw, not '{text}'"),
    };

    public override string ToString() => Kind == Head.MlpKind
        ? $"{Name}: {Mlp!.Count} MLP candidates, {Validation.Describe()}, by {Metric}"
        : $"{Name}: softmax regression over {C!.Count} C values ({C.Min().ToString("G3", CultureInfo.InvariantCulture)}…{C.Max().ToString("G3", CultureInfo.InvariantCulture)}), {Validation.Describe()}, by {Metric}";
}
