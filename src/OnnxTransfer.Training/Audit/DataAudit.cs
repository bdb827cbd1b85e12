using System.Diagnostics;
using OnnxTransfer.Formats;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Neighbours;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// Audits the labelled data of a cache before anyone trains on it: likely label errors in the training split
/// (<see cref="ConfidentLearning"/> on <see cref="OutOfFoldProbabilities"/>), copies within it and copies of training
/// rows in the evaluation split (<see cref="NearDuplicates"/>), class counts, and optionally per-slice accuracy of the
/// out-of-fold predictions (<see cref="SliceMetrics"/>). Plain data in, plain data out; nothing is written here.
/// </summary>
public static class DataAudit
{
    /// <param name="sliceColumn">A column to slice by: <c>label</c> (the given labels) or any name whose values
    /// <paramref name="sliceValues"/> gives by row id (e.g. from a manifest); null: no slices.</param>
    /// <exception cref="TrainingDataException">No training split, a class with fewer rows than folds, a slice column
    /// that is neither <c>label</c> nor given values.</exception>
    public static AuditResult Run(EmbeddingDataset data, SplitPlan plan, AuditSettings settings,
        string? sliceColumn = null, IReadOnlyDictionary<string, string?>? sliceValues = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(settings);
        var train = data.Load(plan.Train);
        var evaluation = plan.Evaluation is null ? null : data.Load(plan.Evaluation);
        return Run(train, evaluation, settings, RowSources.Read(data), sliceColumn, sliceValues);
    }

    /// <summary>The audit of splits already in memory (<see cref="EmbeddingSet"/>); <paramref name="sources"/> maps row ids to sources (missing: the id).</summary>
    public static AuditResult Run(EmbeddingSet train, EmbeddingSet? evaluation, AuditSettings settings,
        IReadOnlyDictionary<string, string>? sources = null, string? sliceColumn = null, IReadOnlyDictionary<string, string?>? sliceValues = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        sources ??= new Dictionary<string, string>();
        if (sliceColumn is not null && sliceValues is null && sliceColumn != CacheLayout.LabelColumn)
            throw new TrainingDataException(
                $"The cache has no column '{sliceColumn}' to slice by (its rows carry id, source, label, split). Give a manifest with that column (--manifest), or slice by label.");
        string IdOf(EmbeddingSet set, int row) => set.Ids?[row] ?? $"{set.Name}:{row}";
        string SourceOf(EmbeddingSet set, int row) => sources.TryGetValue(IdOf(set, row), out var s) ? s : IdOf(set, row);

        var findings = new List<AuditFinding>();
        var timer = Stopwatch.StartNew();
        var probabilities = OutOfFoldProbabilities.Compute(train, settings);
        var labels = train.LabelIndices;
        var confident = ConfidentLearning.Analyse(probabilities, labels, train.Classes.Count);
        var ranking = confident.Ranking();
        int rank = 0;
        foreach (int row in ranking)
        {
            if (!confident.IsIssue[row]) continue;
            findings.Add(new AuditFinding(IdOf(train, row), SourceOf(train, row), train.Name, AuditLayout.LabelIssueReason,
                confident.SelfConfidence[row], ++rank, train.LabelOf(row), train.Classes[confident.ConfidentClass[row]], null, null));
        }
        double labelSeconds = timer.Elapsed.TotalSeconds;

        timer.Restart();
        var trainUnit = train.Features.ToArray();
        CosineTopK.NormalizeRows(trainUnit, train.Dimension);
        foreach (var match in NearDuplicates.Within(trainUnit, train.Dimension, settings.DuplicateThreshold, settings.Compute))
            findings.Add(new AuditFinding(IdOf(train, match.Row), SourceOf(train, match.Row), train.Name, AuditLayout.NearDuplicateReason,
                match.Cosine, null, train.LabelOf(match.Row), train.LabelOf(match.Neighbour), IdOf(train, match.Neighbour), SourceOf(train, match.Neighbour)));
        int leaks = 0;
        if (evaluation is not null)
        {
            var evaluationUnit = evaluation.Features.ToArray();
            CosineTopK.NormalizeRows(evaluationUnit, evaluation.Dimension);
            foreach (var match in NearDuplicates.Across(evaluationUnit, trainUnit, train.Dimension, settings.DuplicateThreshold, settings.Compute))
            {
                leaks++;
                findings.Add(new AuditFinding(IdOf(evaluation, match.Row), SourceOf(evaluation, match.Row), evaluation.Name, AuditLayout.LeakageReason,
                    match.Cosine, null, evaluation.LabelOf(match.Row), train.LabelOf(match.Neighbour), IdOf(train, match.Neighbour), SourceOf(train, match.Neighbour)));
            }
        }
        double neighbourSeconds = timer.Elapsed.TotalSeconds;

        var correct = new bool[train.Count];
        int classes = train.Classes.Count;
        for (int r = 0; r < train.Count; r++)
        {
            var p = probabilities.AsSpan(r * classes, classes);
            int top = 0;
            for (int c = 1; c < classes; c++) if (p[c] > p[top]) top = c;
            correct[r] = top == labels[r];
        }
        SliceReport? slices = null;
        if (sliceColumn is not null)
        {
            var values = new string?[train.Count];
            for (int r = 0; r < train.Count; r++)
                values[r] = sliceValues is null ? train.LabelOf(r) : sliceValues.GetValueOrDefault(IdOf(train, r));
            slices = SliceMetrics.Evaluate(sliceColumn, correct, values, settings.BootstrapSamples, settings.Seed);
        }

        var counts = train.CountPerClass();
        var classCounts = new List<ClassCount>(classes);
        for (int c = 0; c < classes; c++) classCounts.Add(new ClassCount(train.Classes[c], counts[c]));
        return new AuditResult
        {
            TrainSplit = train.Name,
            EvaluationSplit = evaluation?.Name,
            TrainRows = train.Count,
            EvaluationRows = evaluation?.Count ?? 0,
            Folds = settings.Folds,
            DuplicateThreshold = settings.DuplicateThreshold,
            ClassCounts = classCounts,
            OutOfFoldAccuracy = correct.Count(x => x) / (double)train.Count,
            LabelIssues = confident.IssueCount,
            NearDuplicates = findings.Count(f => f.Reason == AuditLayout.NearDuplicateReason),
            Leaks = leaks,
            Confident = confident,
            RankedIds = Array.ConvertAll(ranking, row => IdOf(train, row)),
            Findings = findings,
            Slices = slices,
            LabelSeconds = labelSeconds,
            NeighbourSeconds = neighbourSeconds,
        };
    }
}

/// <summary>How many training rows a class has.</summary>
public sealed record ClassCount(string Label, int Rows);

/// <summary>What an audit found (plain data): summary figures, every finding, the full label-error ranking.</summary>
public sealed record AuditResult
{
    public required string TrainSplit { get; init; }
    public string? EvaluationSplit { get; init; }
    public int TrainRows { get; init; }
    public int EvaluationRows { get; init; }
    public int Folds { get; init; }
    public double DuplicateThreshold { get; init; }
    public required IReadOnlyList<ClassCount> ClassCounts { get; init; }

    /// <summary>Largest class over smallest class (1 = balanced).</summary>
    public double ImbalanceRatio => ClassCounts.Max(c => c.Rows) / (double)Math.Max(1, ClassCounts.Min(c => c.Rows));

    /// <summary>Accuracy of the out-of-fold predictions against the given labels.</summary>
    public double OutOfFoldAccuracy { get; init; }
    public int LabelIssues { get; init; }
    public int NearDuplicates { get; init; }
    public int Leaks { get; init; }
    public required ConfidentLearningResult Confident { get; init; }

    /// <summary>Every training row's id, most suspicious label first (ascending self-confidence).</summary>
    public required IReadOnlyList<string> RankedIds { get; init; }

    /// <summary>Label issues (by rank), then near-duplicates, then leaks.</summary>
    public required IReadOnlyList<AuditFinding> Findings { get; init; }
    public SliceReport? Slices { get; init; }
    public double LabelSeconds { get; init; }
    public double NeighbourSeconds { get; init; }
}
