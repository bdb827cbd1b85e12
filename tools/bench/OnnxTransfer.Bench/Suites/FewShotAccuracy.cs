using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Few labels, accuracy not speed. <c>fewshot</c>: the few-shot curve of the centroid and k-NN heads
/// (<see cref="FewShotCurve"/>, what <c>train --few-shot-curve</c> prints) with every draw's training ids written to
/// <c>--draws</c>, so tools/bench/peers/sklearn_fewshot.py fits scikit-learn on the very same rows. <c>labelling</c>: the
/// simulated labelling loop (<see cref="LabellingSimulation"/>), rows picked by <c>suggest</c> against rows picked at
/// random from the same start, mean of the seeds.
/// </summary>
public static class FewShotAccuracy
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Curve(Arguments options)
    {
        var (train, evaluation) = Load(options.Required("cache"));
        string label = options.Optional("label") ?? "hymenoptera";
        int k = options.Int("k", NearestNeighboursTrainer.DefaultK);
        var heads = new (string Name, Func<EmbeddingSet, Head> Fit)[]
        {
            ("centroid", set => new NearestCentroidTrainer().Fit(set)),
            ("knn", set => new NearestNeighboursTrainer(k).Fit(set)),
        };
        FewShotCurveResult? last = null;
        foreach (var (name, fit) in heads)
        {
            var curve = new FewShotCurve(fit).Run(train, evaluation);
            foreach (var point in curve.Points)
            {
                int rows = curve.Fits.First(f => f.Shots == point.Shots).Rows.Length;
                ResultWriter.Write("fewshot", Case(label, name, point.Shots), "onnxtransfer", Metric(evaluation, point.Accuracies.Length), point.Mean, lowerIsBetter: false,
                    new Dictionary<string, string>
                    {
                        ["sd"] = point.StandardDeviation.ToString("F4", Invariant),
                        ["per_draw"] = string.Join(" ", point.Accuracies.Select(a => a.ToString("F4", Invariant))),
                        ["training_rows"] = rows.ToString(Invariant),
                        ["head"] = name == "knn" ? $"cosine k-NN, k = min({k}, {rows}), votes softmax(10·cos)" : "cosine nearest centroid (unit mean of unit rows)",
                    });
            }
            last = curve;
        }
        WriteDraws(options.Required("draws"), train, evaluation, k, last!);
    }

    public static void Labelling(Arguments options)
    {
        var (train, evaluation) = Load(options.Required("cache"));
        string label = options.Optional("label") ?? "hymenoptera";
        int seeds = options.Int("seeds", 5), start = options.Int("start", 1), step = options.Int("step", 4), rounds = options.Int("rounds", 8);
        foreach (var name in new[] { "centroid", "knn" })
        {
            var simulation = new LabellingSimulation(start, step, rounds,
                set => name == "knn" ? new NearestNeighboursTrainer().Fit(set) : new NearestCentroidTrainer().Fit(set));
            var suggested = new List<LabellingCurve>();
            var random = new List<LabellingCurve>();
            for (int seed = 0; seed < seeds; seed++)
            {
                var (s, r) = simulation.Run(train, evaluation, seed);
                suggested.Add(s);
                random.Add(r);
            }
            var labels = suggested[0].Labels;
            double[] MeanCurve(List<LabellingCurve> curves) => labels.Select((_, i) => curves.Average(c => c.Accuracy[i])).ToArray();
            var meanSuggested = MeanCurve(suggested);
            var meanRandom = MeanCurve(random);
            Console.Error.WriteLine($"{name}: labels  " + string.Join(" ", labels.Select(l => $"{l,6}")));
            Console.Error.WriteLine($"{name}: suggest " + string.Join(" ", meanSuggested.Select(a => $"{a,6:F3}")) + $"  mean {meanSuggested.Skip(1).Average():F4}");
            Console.Error.WriteLine($"{name}: random  " + string.Join(" ", meanRandom.Select(a => $"{a,6:F3}")) + $"  mean {meanRandom.Skip(1).Average():F4}");
            Console.Error.WriteLine($"{name}: rounds with suggest ≥ random: {Enumerable.Range(1, labels.Length - 1).Count(i => meanSuggested[i] >= meanRandom[i] - 1e-12)} of {labels.Length - 1}");
            string metric = $"{evaluation.Name} accuracy (mean of {seeds} seeds)";
            string loop = $"start {start}/class, +{step} per round";
            void Emit(string @case, string impl, Func<LabellingCurve, double> of, IReadOnlyList<LabellingCurve> curves) =>
                ResultWriter.Write("fewshot", @case, impl, metric, curves.Average(of), lowerIsBetter: false,
                    new Dictionary<string, string> { ["per_seed"] = string.Join(" ", curves.Select(c => of(c).ToString("F4", Invariant))), ["loop"] = loop });
            for (int round = 2; round < labels.Length; round += 2)
            {
                int i = round;
                string @case = $"{label} labelling loop, {name} head, {labels[i]} labels";
                Emit(@case, "onnxtransfer", c => c.Accuracy[i], suggested);
                Emit(@case, "random picks", c => c.Accuracy[i], random);
            }
            string mean = $"{label} labelling loop, {name} head, mean over {labels[1]}..{labels[^1]} labels";
            Emit(mean, "onnxtransfer", c => c.Accuracy.Skip(1).Average(), suggested);
            Emit(mean, "random picks", c => c.Accuracy.Skip(1).Average(), random);
        }
    }

    internal static string Case(string label, string head, int shots) => $"{label} {head}, {shots} per class";

    private static string Metric(TrainingData evaluation, int draws) => $"{evaluation.Name} accuracy (mean of {draws} draws)";

    private static (EmbeddingSet Train, EmbeddingSet Evaluation) Load(string cache)
    {
        var dataset = EmbeddingDataset.Open(cache);
        var train = dataset.Load("train");
        return (train, dataset.Load("val", train.Classes));
    }

    /// <summary>
    /// <c>{"train_split", "eval_split", "k", "classes", "fits": [{"shots", "draw", "ids": [...]}]}</c>: the draws (the same
    /// for both heads: they depend on the seed only), by cache id so the peer needs no row order of ours.
    /// </summary>
    private static void WriteDraws(string path, EmbeddingSet train, EmbeddingSet evaluation, int k, FewShotCurveResult curve)
    {
        var ids = train.Ids ?? throw new InvalidOperationException("the cache has no ids");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var draws = new DrawsFile(train.Name, evaluation.Name, k, train.Classes,
            curve.Fits.Select(f => new DrawnFit(f.Shots, f.Draw, f.Rows.Select(r => ids[r]).ToArray())).ToArray());
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, draws, FewShotDrawsJson.Default.DrawsFile);
    }
}

internal sealed record DrawsFile(string TrainSplit, string EvalSplit, int K, IReadOnlyList<string> Classes, IReadOnlyList<DrawnFit> Fits);

internal sealed record DrawnFit(int Shots, int Draw, IReadOnlyList<string> Ids);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DrawsFile))]
internal sealed partial class FewShotDrawsJson : JsonSerializerContext;
