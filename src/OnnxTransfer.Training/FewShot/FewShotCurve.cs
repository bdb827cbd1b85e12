using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Training.FewShot;

/// <summary>One fit of the curve: the training rows drawn for <paramref name="Shots"/> per class with draw
/// <paramref name="Draw"/>, and the evaluation accuracy of the head fitted on them.</summary>
/// <param name="Rows">Indices into the training split, ascending.</param>
public sealed record FewShotFit(int Shots, int Draw, int[] Rows, double Accuracy);

/// <summary>Accuracy with <paramref name="Shots"/> training rows per class: mean and sample standard deviation over the draws.</summary>
/// <param name="Shots">Rows per class asked for (a class with fewer rows gives all it has).</param>
/// <param name="Accuracies">One per draw, in draw order.</param>
public sealed record FewShotPoint(int Shots, double Mean, double StandardDeviation, double[] Accuracies);

/// <summary>The accuracy curve with its points and every fit behind them (so a peer can refit on the very same rows).</summary>
public sealed record FewShotCurveResult(string HeadKind, string EvaluationSplit, int EvaluationRows, int Seed, IReadOnlyList<FewShotPoint> Points, IReadOnlyList<FewShotFit> Fits);

/// <summary>
/// How a head does with few labels: for each number of shots (default 1, 2, 4, 8, 16 rows per class), fit it on rows
/// drawn from the training split, stratified by class, and score it on the whole evaluation split; repeat for
/// <see cref="Draws"/> seeded draws. Draw <c>d</c> shuffles each class once and takes its first n rows, so within a draw
/// the 1-shot rows are among the 2-shot rows, and so on: the curve shows what more labels of the same pool add, not a
/// new sample's luck. The evaluation split is never drawn from.
/// </summary>
public sealed class FewShotCurve
{
    public static readonly IReadOnlyList<int> DefaultShots = [1, 2, 4, 8, 16];

    public const int DefaultDraws = 5;

    /// <summary>How the rows are drawn, in words (for reports).</summary>
    public const string DrawsDescription = "per draw, each class of the training split shuffled once (seeded) and its first n rows taken: " +
                                            "stratified, nested across n, never from the evaluation split";

    private readonly Func<EmbeddingSet, Head> fit;
    private readonly ComputeOptions compute;

    /// <param name="fit">Fits the head on a drawn subset (e.g. <c>new NearestCentroidTrainer().Fit</c>).</param>
    /// <param name="shots">Rows per class, each ≥ 1, ascending.</param>
    /// <param name="draws">Seeded draws per point (≥ 1; 2 or more for a standard deviation).</param>
    /// <param name="seed">Seeds the draws: the same seed draws the same rows.</param>
    public FewShotCurve(Func<EmbeddingSet, Head> fit, IReadOnlyList<int>? shots = null, int draws = DefaultDraws, int seed = 0, ComputeOptions? compute = null)
    {
        this.fit = fit ?? throw new ArgumentNullException(nameof(fit));
        Shots = shots ?? DefaultShots;
        if (Shots.Count == 0 || Shots.Any(s => s < 1)) throw new ArgumentOutOfRangeException(nameof(shots), "Every number of shots must be at least 1.");
        Draws = draws >= 1 ? draws : throw new ArgumentOutOfRangeException(nameof(draws), draws, "At least one draw.");
        Seed = seed;
        this.compute = compute ?? ComputeOptions.Default;
    }

    public IReadOnlyList<int> Shots { get; }

    public int Draws { get; }

    public int Seed { get; }

    public FewShotCurveResult Run(EmbeddingSet train, TrainingData evaluation)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(evaluation);
        var fits = new List<FewShotFit>();
        var accuracies = new double[Shots.Count][];
        for (int s = 0; s < Shots.Count; s++) accuracies[s] = new double[Draws];
        string kind = "";
        for (int draw = 0; draw < Draws; draw++)
        {
            var shuffled = ShuffledPerClass(train, Seed, draw);
            for (int s = 0; s < Shots.Count; s++)
            {
                var rows = Take(shuffled, Shots[s]);
                var head = fit(train.Select(rows, $"{train.Name}-{Shots[s]}-shot"));
                kind = head.Kind;
                double accuracy = ClassificationMetrics.Evaluate(head, evaluation, compute).Accuracy;
                accuracies[s][draw] = accuracy;
                fits.Add(new FewShotFit(Shots[s], draw, rows, accuracy));
            }
        }
        var points = Shots.Select((n, s) => new FewShotPoint(n, accuracies[s].Average(), SampleStandardDeviation(accuracies[s]), accuracies[s])).ToArray();
        return new FewShotCurveResult(kind, evaluation.Name, evaluation.Count, Seed, points, fits);
    }

    /// <summary>The rows <see cref="Run"/> fits on for <paramref name="shots"/> per class in draw <paramref name="draw"/>, ascending.</summary>
    public static int[] DrawRows(EmbeddingSet train, int shots, int seed, int draw) => Take(ShuffledPerClass(train, seed, draw), shots);

    /// <summary>
    /// Each class's inputs in a seeded random order (one stream per seed and draw), each input as its rows: one row, or
    /// on a cache with views (<see cref="TrainingData.HasInputGroups"/>) every view of it, so n shots are n inputs
    /// with all their views, as <c>train</c> trains on them — never the mirror of a drawn input standing in for a second one.
    /// </summary>
    private static int[][][] ShuffledPerClass(EmbeddingSet train, int seed, int draw)
    {
        var random = DeterministicRandom.For(seed, 0xf3e5_0000UL + (ulong)draw);
        var perClass = new List<List<int>>[train.Classes.Count];
        for (int c = 0; c < perClass.Length; c++) perClass[c] = [];
        var labels = train.LabelIndices;
        var inputOf = train.InputOfRow();
        var rowsOfInput = new List<int>?[train.Count];
        for (int r = 0; r < train.Count; r++)
        {
            ref var rows = ref rowsOfInput[inputOf[r]];
            if (rows is null) perClass[labels[r]].Add(rows = []);
            rows.Add(r);
        }
        return perClass.Select(inputs =>
        {
            var array = inputs.Select(rows => rows.ToArray()).ToArray();
            random.Shuffle(array.AsSpan());
            return array;
        }).ToArray();
    }

    private static int[] Take(int[][][] shuffledPerClass, int shots)
    {
        var rows = shuffledPerClass.SelectMany(inputs => inputs.Take(shots).SelectMany(input => input)).ToArray();
        Array.Sort(rows);
        return rows;
    }

    private static double SampleStandardDeviation(double[] values)
    {
        if (values.Length < 2) return double.NaN;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }
}
