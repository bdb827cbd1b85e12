using System.Diagnostics;
using System.Globalization;
using OnnxTransfer.Parquet;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Runtime;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Head training on a cache, one measurement per process (--what):
/// <c>accuracy</c> — the softmax head as <c>onnxtransfer train</c> makes it (C by stratified 5-fold CV over 45 values on
/// the train split, refit) and its val accuracy, paired with peers/sklearn_logreg.py;
/// <c>fit</c> — one softmax fit at C = 1; <c>sweep</c> — 10 C values × 5-fold CV + refit; <c>mlp</c> — 20 epochs of
/// 1280→1024→C (ReLU, Adam, batch 256); paired with peers/sklearn_speed.py and peers/torch_mlp.py on the same data.
/// </summary>
public static class TrainSpeed
{
    public static void Run(Arguments options)
    {
        var what = options.Required("what");
        var label = options.Required("label");
        if (what == "cli")
        {
            RunCli(options, label);
            return;
        }
        var dataset = EmbeddingDataset.Open(options.Required("cache"));
        var plan = dataset.PlanSplits(options.Optional("train-split"), options.Optional("eval-split"));
        var train = dataset.Load(plan.Train);
        WarmUp(train);

        switch (what)
        {
            case "accuracy":
            {
                var evaluation = dataset.Load(plan.Evaluation!, train.Classes);
                var start = Stopwatch.GetTimestamp();
                var preset = SweepGrid.Preset("softmax-l2", 5, 0); // what `onnxtransfer train --l2 auto` searches
                var sweep = new SoftmaxRegressionSweep(new SoftmaxRegressionSettings(), preset.C, ValidationScheme.KFold(5)).Fit(train);
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var metrics = ClassificationMetrics.Evaluate(sweep.Head, evaluation);
                var bestC = sweep.Best.C!.Value;
                ResultWriter.Write("train", label, "onnxtransfer", $"{plan.Evaluation} accuracy", metrics.Accuracy, lowerIsBetter: false,
                    new Dictionary<string, string>
                    {
                        ["C"] = bestC.ToString("G4", CultureInfo.InvariantCulture),
                        ["eval_correct"] = ((int)Math.Round(metrics.Accuracy * evaluation.Count)).ToString(CultureInfo.InvariantCulture),
                        ["eval_rows"] = evaluation.Count.ToString(CultureInfo.InvariantCulture),
                    });
                ResultWriter.Write("train", label, "onnxtransfer", "selection seconds", seconds, lowerIsBetter: true);
                var fit = Stopwatch.GetTimestamp();
                new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = bestC }).Fit(train);
                ResultWriter.Write("train", label, "onnxtransfer", "fit seconds", Stopwatch.GetElapsedTime(fit).TotalSeconds, lowerIsBetter: true);
                break;
            }
            case "fit":
            {
                var start = Stopwatch.GetTimestamp();
                var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1.0 }).Fit(train);
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                ResultWriter.Write("train", label, "onnxtransfer", "one softmax fit, seconds", seconds, lowerIsBetter: true,
                    new Dictionary<string, string> { ["train_accuracy"] = Accuracy(head, train), ["rows"] = train.Count.ToString(CultureInfo.InvariantCulture) });
                break;
            }
            case "sweep":
            {
                var grid = SoftmaxRegressionSweep.LogGrid(1e-4, 1e4, 10);
                var start = Stopwatch.GetTimestamp();
                var sweep = new SoftmaxRegressionSweep(grid: grid, validation: ValidationScheme.KFold(5)).Fit(train);
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                ResultWriter.Write("train", label, "onnxtransfer", "10-point C sweep × 5-fold CV + refit, seconds", seconds, lowerIsBetter: true,
                    new Dictionary<string, string> { ["best_C"] = sweep.Best.C!.Value.ToString("G4", CultureInfo.InvariantCulture) });
                break;
            }
            case "mlp":
            {
                const int epochs = 20;
                var settings = new MlpSettings
                {
                    HiddenLayers = [1024], Optimizer = MlpOptimizer.Adam, WeightDecay = 0, LearningRate = 1e-3, BatchSize = 256,
                    Epochs = epochs, ValidationFraction = 0, EarlyStoppingPatience = null, Preprocessing = PreprocessingKind.None,
                };
                var start = Stopwatch.GetTimestamp();
                var head = new MlpTrainer(settings).Fit(train);
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                ResultWriter.Write("train", label, "onnxtransfer", "MLP epoch (1280→1024→C, Adam, batch 256), seconds", seconds / epochs, lowerIsBetter: true,
                    new Dictionary<string, string> { ["train_accuracy"] = Accuracy(head, train) });
                break;
            }
            case "select":
            {
                // The C the exhaustive 45-value grid picks against the regularisation-path search (what `train` runs).
                var evaluation = plan.Evaluation is null ? null : dataset.Load(plan.Evaluation, train.Classes);
                var validation = ValidationScheme.KFold(options.Int("folds", 5));
                foreach (var impl in (options.Optional("impl") ?? "path,exhaustive").Split(','))
                {
                    var start = Stopwatch.GetTimestamp();
                    var result = impl == "path"
                        ? new SoftmaxPathSearch(validation: validation).Fit(train)
                        : new SoftmaxRegressionSweep(new SoftmaxRegressionSettings(), SweepGrid.Preset("softmax-l2").C, validation).Fit(train);
                    var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    foreach (var point in result.Points)
                        Console.Error.WriteLine($"  {impl} {point.Name}: cv {point.MeanScore:F5} log-loss {point.MeanLogLoss:F4} iterations {point.MeanIterations:F0} fit {point.MeanFitSeconds:F2} s");
                    var details = new Dictionary<string, string>
                    {
                        ["C"] = result.Best.C!.Value.ToString("G4", CultureInfo.InvariantCulture),
                        ["cv_accuracy"] = result.Best.MeanScore.ToString("F5", CultureInfo.InvariantCulture),
                        ["points"] = result.Points.Count.ToString(CultureInfo.InvariantCulture),
                    };
                    if (evaluation is not null) details["eval_accuracy"] = Accuracy(result.Head, evaluation);
                    ResultWriter.Write("train", label, "onnxtransfer " + impl, "C selection seconds", seconds, lowerIsBetter: true, details);
                }
                break;
            }
            case "mlp-try":
            {
                // One MLP configuration (options override the library defaults), its eval accuracy and kept epoch.
                var evaluation = dataset.Load(plan.Evaluation!, train.Classes);
                var d = new MlpSettings();
                var settings = d with
                {
                    HiddenLayers = (options.Optional("hidden") ?? string.Join(",", d.HiddenLayers)).Split(',').Select(int.Parse).ToArray(),
                    LearningRate = options.Double("lr", d.LearningRate),
                    WeightDecay = options.Double("wd", d.WeightDecay),
                    Dropout = options.Double("dropout", d.Dropout),
                    BatchSize = options.Int("batch", d.BatchSize),
                    Epochs = options.Int("epochs", d.Epochs),
                    LabelSmoothing = options.Double("smoothing", d.LabelSmoothing),
                    Monitor = options.Optional("monitor") is { } m ? Enum.Parse<EarlyStoppingMonitor>(m, true) : d.Monitor,
                    EarlyStoppingPatience = options.Optional("patience") is { } p ? (p == "none" ? null : int.Parse(p)) : d.EarlyStoppingPatience,
                    Schedule = options.Optional("schedule") switch
                    {
                        "cosine" => LearningRateSchedule.Cosine(options.Double("warmup", 0)),
                        "constant" => LearningRateSchedule.Constant,
                        _ => d.Schedule,
                    },
                    Seed = options.Int("seed", 0),
                };
                var start = Stopwatch.GetTimestamp();
                var head = new MlpTrainer(settings).Fit(train);
                var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var metrics = ClassificationMetrics.Evaluate(head, evaluation);
                ResultWriter.Write("train", label, "onnxtransfer mlp", "eval accuracy", metrics.Accuracy, lowerIsBetter: false, new Dictionary<string, string>
                {
                    ["settings"] = string.Join(" ", settings.ToPairs().Select(p => p.Key + "=" + p.Value)),
                    ["best_epoch"] = head.Training!.History!.BestEpoch.ToString(CultureInfo.InvariantCulture),
                    ["epochs_run"] = head.Training.History.Epochs.Count.ToString(CultureInfo.InvariantCulture),
                    ["seconds"] = seconds.ToString("F1", CultureInfo.InvariantCulture),
                    ["eval_correct"] = ((int)Math.Round(metrics.Accuracy * evaluation.Count)).ToString(CultureInfo.InvariantCulture),
                    ["log_loss"] = metrics.LogLoss.ToString("F4", CultureInfo.InvariantCulture),
                });
                break;
            }
            default:
                throw new ArgumentException($"--what {what}: use accuracy, fit, sweep, mlp, mlp-try or select");
        }
    }

    /// <summary>
    /// <c>--what cli</c>: the default <c>onnxtransfer train --head H</c> as a user runs it (its own process: loading the
    /// cache, selection, fit, calibration, metrics, export), timed by wall clock; evaluation accuracy, ECE before and
    /// after calibration from its <c>--json</c> summary.
    /// </summary>
    private static void RunCli(Arguments options, string label)
    {
        var head = options.Required("head");
        var cli = options.Required("cli");
        var output = Path.Combine(Path.GetTempPath(), $"onnxtransfer-bench-head-{Environment.ProcessId}.onnx");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { cli, "train", "--cache", options.Required("cache"), "--head", head, "--out", output, "--json" })
            start.ArgumentList.Add(argument);
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var cpuBefore = ChildCpu.Seconds();
        var started = Stopwatch.GetTimestamp();
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuSeconds = ChildCpu.Seconds() - cpuBefore;
        var loadAfter = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        File.Delete(output);
        if (process.ExitCode != 0) throw new InvalidOperationException($"onnxtransfer train exited {process.ExitCode}: {stderr.Result}");
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var evaluation = root.GetProperty("metrics").EnumerateArray().Last();
        var details = new Dictionary<string, string>
        {
            ["eval_rows"] = evaluation.GetProperty("rows").GetInt32().ToString(CultureInfo.InvariantCulture),
            ["eval_correct"] = ((int)Math.Round(evaluation.GetProperty("accuracy").GetDouble() * evaluation.GetProperty("rows").GetInt32())).ToString(CultureInfo.InvariantCulture),
            ["eval_ece"] = evaluation.GetProperty("expected_calibration_error").GetDouble().ToString("F4", CultureInfo.InvariantCulture),
            ["eval_log_loss"] = evaluation.GetProperty("log_loss").GetDouble().ToString("F4", CultureInfo.InvariantCulture),
        };
        if (root.TryGetProperty("selection", out var selection)) details["selected"] = selection.GetProperty("best").GetString()!;
        if (root.TryGetProperty("calibration", out var calibration))
        {
            details["temperature"] = calibration.GetProperty("temperature").GetDouble().ToString("G4", CultureInfo.InvariantCulture);
            if (calibration.TryGetProperty("eval_ece_before", out var before)) details["eval_ece_uncalibrated"] = before.GetDouble().ToString("F4", CultureInfo.InvariantCulture);
        }
        if (root.GetProperty("head").TryGetProperty("best_epoch", out var epoch)) details["best_epoch"] = epoch.GetInt32().ToString(CultureInfo.InvariantCulture);
        var split = evaluation.GetProperty("split").GetString();
        var kase = $"{label}, --head {head}";
        ResultWriter.Write("train", kase, "onnxtransfer", $"{split} accuracy", evaluation.GetProperty("accuracy").GetDouble(), lowerIsBetter: false, details);
        var timing = new Dictionary<string, string> { ["load_average"] = $"{load} → {loadAfter}", ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture) };
        ResultWriter.Write("train", kase, "onnxtransfer", "default train wall seconds", seconds, lowerIsBetter: true, timing);
        // CPU seconds (user + system of the train process) hold up under a shared load where wall time does not.
        ResultWriter.Write("train", kase, "onnxtransfer", "default train CPU seconds", cpuSeconds, lowerIsBetter: true, timing);
    }

    /// <summary>
    /// With <c>--rows 0</c>, writes the source cache's training rows as X.npy / y.npy for the peers. Otherwise writes a
    /// larger cache made from real embeddings (the peers read the same rows from X.npy / y.npy): class c is
    /// centred on a real image's embedding, each row mixes it with another random real embedding and noise, so the
    /// problem is as hard as real features make it, not a toy of separable blobs.
    /// </summary>
    public static void MakeData(Arguments options)
    {
        var source = EmbeddingDataset.Open(options.Required("from"));
        var all = source.Load(source.PlanSplits(null, null).Train);
        var rows = options.Int("rows", 50_000);
        var classes = options.Int("classes", 10);
        var folder = options.Required("out");
        var dim = all.Dimension;
        var random = new Random(options.Int("seed", 1));
        Directory.CreateDirectory(folder);

        if (rows == 0)
        {
            // The real rows as they are, for the peers (OnnxTransfer's side reads the cache itself).
            var indices = new long[all.Count];
            for (var i = 0; i < indices.Length; i++) indices[i] = all.LabelIndices[i];
            NpyFile.Write(Path.Combine(folder, "X.npy"), NpyArray.FromSpan<float>(TensorElementType.Float, [all.Count, dim], all.Features));
            NpyFile.Write(Path.Combine(folder, "y.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [all.Count], indices));
            return;
        }

        // Training rows first, then --eval-rows more drawn the same way as split "val" (written to Xval.npy / yval.npy).
        var evalRows = options.Int("eval-rows", 0);
        var total = rows + evalRows;
        var prototypes = Enumerable.Range(0, classes).Select(_ => random.Next(all.Count)).ToArray();
        var features = new float[(long)total * dim];
        var labels = new long[total];
        var names = new string[total];
        for (var row = 0; row < total; row++)
        {
            var c = row % classes;
            var mix = 0.45 + 0.35 * random.NextDouble();
            var prototype = all.Row(prototypes[c]);
            var other = all.Row(random.Next(all.Count));
            var target = features.AsSpan(row * dim, dim);
            for (var i = 0; i < dim; i++)
                target[i] = (float)(mix * prototype[i] + (1 - mix) * other[i] + 0.15 * Gaussian(random));
            labels[row] = c;
            names[row] = $"class-{c}";
        }

        var cache = Path.Combine(folder, "cache");
        Directory.CreateDirectory(cache);
        var schema = new ParquetSchema(
            ParquetField.String("id", nullable: false), ParquetField.String("label"), ParquetField.String("split"),
            ParquetField.List("embedding", ParquetField.Float("element", nullable: false)));
        using (var writer = new ParquetFileWriter(Path.Combine(cache, "part-00000.parquet"), schema, new ParquetWriterOptions { Compression = ParquetCompressionCodec.Zstd }))
        {
            // Row groups never straddle the train/val boundary.
            foreach (var (from, to, split) in new[] { (0, rows, "train"), (rows, total, "val") })
            {
                for (var first = from; first < to; first += 4096)
                {
                    var count = Math.Min(4096, to - first);
                    var group = writer.BeginRowGroup(count);
                    group.WriteStrings("id", Enumerable.Range(first, count).Select(i => (string?)$"row-{i}").ToArray());
                    group.WriteStrings("label", names.AsSpan(first, count)!);
                    group.WriteStrings("split", Enumerable.Repeat((string?)split, count).ToArray());
                    group.WriteFixedSizeList<float>("embedding", features.AsSpan(first * dim, count * dim), dim);
                    group.Complete();
                }
            }
            writer.Complete();
        }
        NpyFile.Write(Path.Combine(folder, "X.npy"), NpyArray.FromSpan<float>(TensorElementType.Float, [rows, dim], features.AsSpan(0, rows * dim)));
        NpyFile.Write(Path.Combine(folder, "y.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [rows], labels.AsSpan(0, rows)));
        if (evalRows > 0)
        {
            NpyFile.Write(Path.Combine(folder, "Xval.npy"), NpyArray.FromSpan<float>(TensorElementType.Float, [evalRows, dim], features.AsSpan(rows * dim, evalRows * dim)));
            NpyFile.Write(Path.Combine(folder, "yval.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [evalRows], labels.AsSpan(rows, evalRows)));
        }
        // The folds `onnxtransfer train` cuts from this cache's training split, for the peers to cross-validate on.
        var written = EmbeddingDataset.Open(cache);
        var folds = ValidationScheme.KFold(5, 0).HeldOutFold(written.Load("train"));
        NpyFile.Write(Path.Combine(folder, "folds.npy"), NpyArray.FromSpan<long>(TensorElementType.Int64, [rows], Array.ConvertAll(folds, f => (long)f)));
        Console.Error.WriteLine($"wrote {rows} + {evalRows} (val) × {dim}, {classes} classes and the 5 training folds to {folder}");
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Accuracy(OnnxTransfer.Training.Heads.Head head, EmbeddingSet set) =>
        ClassificationMetrics.Evaluate(head, set).Accuracy.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>A small fit first, so JIT compilation is not part of the timed fit.</summary>
    private static void WarmUp(EmbeddingSet train)
    {
        var rows = Enumerable.Range(0, Math.Min(train.Count, 512)).ToArray();
        var sample = train.Select(rows, "warm-up");
        new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { MaxIterations = 5 }).Fit(sample);
        new MlpTrainer(new MlpSettings { HiddenLayers = [64], Epochs = 1, ValidationFraction = 0, EarlyStoppingPatience = null }).Fit(sample);
    }
}
