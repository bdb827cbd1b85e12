using System.CommandLine;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// The options <c>train</c>, <c>sweep</c> and <c>evaluate</c> share — the cache, its columns and splits, the memory
/// budget and the worker threads.
/// </summary>
internal sealed class TrainingInputs
{
    public Option<string> Cache { get; } = new("--cache")
    {
        Description = "Embedding cache folder (or any Parquet file/folder with a LIST<FLOAT> embedding and a string label column).",
        Required = true,
    };

    public Option<string?> TrainSplit { get; } = new("--train-split") { Description = "Split to train (and select) on; default 'train'." };

    public Option<string?> EvalSplit { get; } = new("--eval-split")
    {
        Description = "Split to report metrics on, never to select on; default 'val' when present, 'none' for no evaluation.",
    };

    public Option<string> EmbeddingColumn { get; } = new("--embedding-column") { Description = "Column with the embeddings.", DefaultValueFactory = _ => "embedding" };

    public Option<string> LabelColumn { get; } = new("--label-column") { Description = "Column with the labels.", DefaultValueFactory = _ => "label" };

    public Option<string> SplitColumn { get; } = new("--split-column") { Description = "Column with the split names.", DefaultValueFactory = _ => "split" };

    public Option<string> IdColumn { get; } = new("--id-column") { Description = "Column with row ids (for messages).", DefaultValueFactory = _ => "id" };

    public Option<string?> MemoryBudgetOption { get; } = new("--memory-budget")
    {
        Description = "Memory for embeddings, e.g. 4GiB or 25%; larger splits are streamed from the cache. Default: half of the available memory.",
    };

    public Option<int> Threads { get; } = new("--threads") { Description = "Worker threads for training (0 = one per core).", DefaultValueFactory = _ => 0 };

    public Option<bool> RequireComplete { get; } = new("--require-complete")
    {
        Description = "Refuse (exit 2) a cache whose extraction did not finish, instead of warning and using the rows it has (for pipelines).",
    };

    /// <summary>train and sweep (added by them, not by <see cref="AddTo"/>): which views of a cache with views are trained on.</summary>
    public Option<string> TrainViews { get; } = new("--train-views")
    {
        Description = "A cache extracted with --views: train on every view of the training split (all; folds and hold-outs keep an input's views together) " +
                      "or on the original view only. Either way the evaluation split is scored on its original view and, as 'SPLIT (tta)', on the mean over its views.",
        DefaultValueFactory = _ => "all",
    };

    public TrainingInputs()
    {
        Threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--threads must be 0 or more."); });
        TrainViews.AcceptOnlyFromAmong("all", "original");
    }

    /// <summary>The --train-views; given for a cache without views, a note says it changes nothing.</summary>
    public ViewRows TrainViewsOf(ParseResult parseResult, EmbeddingDataset dataset, List<string> notes)
    {
        if (parseResult.GetResult(TrainViews) is { Implicit: false } && !dataset.HasViews)
            notes.Add($"--train-views has no effect: '{dataset.Root}' was extracted without views (extract --views hflip adds them)");
        return parseResult.GetValue(TrainViews) == "original" ? ViewRows.Original : ViewRows.All;
    }

    public void AddTo(Command command, bool evaluationSplit = true)
    {
        command.Options.Add(Cache);
        command.Options.Add(TrainSplit);
        if (evaluationSplit) command.Options.Add(EvalSplit);
        command.Options.Add(EmbeddingColumn);
        command.Options.Add(LabelColumn);
        command.Options.Add(SplitColumn);
        command.Options.Add(IdColumn);
        command.Options.Add(MemoryBudgetOption);
        command.Options.Add(Threads);
        command.Options.Add(RequireComplete);
    }

    public EmbeddingDataset OpenDataset(ParseResult parseResult) => OpenDataset(parseResult, parseResult.GetValue(Cache)!);

    /// <summary>Another cache (e.g. --ood-eval) with the same column options as --cache.</summary>
    public EmbeddingDataset OpenDataset(ParseResult parseResult, string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new CliException($"No cache at '{path}'. Extract one first: onnxtransfer extract --backbone SPEC --images DIR --cache {path}");
        var dataset = EmbeddingDataset.OpenNamingRepair(path, new EmbeddingColumns
        {
            Embedding = parseResult.GetValue(EmbeddingColumn)!,
            Label = parseResult.GetValue(LabelColumn)!,
            Split = parseResult.GetValue(SplitColumn)!,
            Id = parseResult.GetValue(IdColumn)!,
        });
        CheckComplete(path, dataset, parseResult.GetValue(RequireComplete));
        return dataset;
    }

    /// <summary>
    /// An interrupted extraction leaves a cache that reads like a small complete one: say so loudly (stderr, with the
    /// counts), or refuse with --require-complete. Plain Parquet folders (not caches) have no such state.
    /// </summary>
    private static void CheckComplete(string path, EmbeddingDataset dataset, bool require)
    {
        if (!Directory.Exists(path) || !EmbeddingCache.Exists(path)) return;
        using var cache = EmbeddingCache.Open(path);
        var completion = CacheCompletion.Read(cache);
        if (completion.IsComplete is true) return;
        if (completion.IsComplete is null)
        {
            Console.Error.WriteLine($"note: whether the cache '{cache.Directory}' is complete is unknown: {completion.Explanation}.");
            return;
        }
        var message = $"the cache '{cache.Directory}' is INCOMPLETE: {completion.Explanation}; it holds {dataset.RowCount} embedded row(s) " +
                      $"({dataset.DescribeSplits()}). Rerun the same extract command to finish it";
        if (require) throw new CliException($"{message}. --require-complete refuses an incomplete cache.");
        Console.Error.WriteLine($"WARNING: {message}, or pass --require-complete to make this an error. Using the {dataset.RowCount} rows it has.");
    }

    /// <summary>The --memory-budget; a value that is no size is a usage error (exit 1), like any other bad option value.</summary>
    public MemoryBudget Budget(ParseResult parseResult)
    {
        if (parseResult.GetValue(MemoryBudgetOption) is not { } text) return MemoryBudget.Default;
        try { return MemoryBudget.Parse(text); }
        catch (FormatException e) { throw new CliException($"--memory-budget: {e.Message}", ExitCodes.Usage); }
    }

    public ComputeOptions Compute(ParseResult parseResult) =>
        new() { DegreeOfParallelism = parseResult.GetValue(Threads) is > 0 and var n ? n : Environment.ProcessorCount };
}
