using System.CommandLine;
using System.Diagnostics;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer evaluate --cache DIR --head head.onnx [--split val]</c>: metrics of an exported head on a cache split,
/// computed by the trainer's own forward pass on the imported head (no ONNX Runtime needed). A head trained on another
/// cache (another backbone or preprocessing: its fingerprint differs) is refused unless --ignore-fingerprint.
/// </summary>
public static class EvaluateCommand
{
    private static readonly TrainingInputs Inputs = new();
    private static readonly Option<string> HeadPath = new("--head") { Description = "The head model (.onnx written by train or sweep).", Required = true };
    private static readonly Option<string?> Split = new("--split") { Description = "Split to evaluate; default 'val' when present, else every row." };
    private static readonly Option<bool> IgnoreFingerprint = new("--ignore-fingerprint")
    {
        Description = "Evaluate even when the head was trained on a cache with another fingerprint (warns; the metrics may be meaningless).",
    };
    private static readonly Option<string?> Report = new("--report") { Description = "Write an HTML report here (and its JSON beside it)." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the metrics as one JSON object." };

    public static Command Create()
    {
        var command = new Command("evaluate", "Score an exported head on a cache split (the trainer's forward pass, no runtime).")
        {
            Inputs.Cache, HeadPath, Split, Inputs.EmbeddingColumn, Inputs.LabelColumn, Inputs.SplitColumn, Inputs.IdColumn,
            Inputs.MemoryBudgetOption, Inputs.Threads, Inputs.RequireComplete, IgnoreFingerprint, Report, Json,
        };
        command.SetHandler((parseResult, _) => TrainingErrors.Translate(() => Execute(parseResult)));
        return command;
    }

    private static int Execute(ParseResult parseResult)
    {
        var stopwatch = Stopwatch.StartNew();
        var headPath = parseResult.GetValue(HeadPath)!;
        var imported = HeadOnnxImporter.Load(headPath);
        var dataset = Inputs.OpenDataset(parseResult);
        var notes = new List<string>();
        CheckFingerprint(imported, dataset, parseResult.GetValue(IgnoreFingerprint), notes);
        if (imported.Head.InputDimension != dataset.Dimension)
            throw new CliException(
                $"The head takes {imported.Head.InputDimension}-d features but '{dataset.Root}' holds {dataset.Dimension}-d embeddings: " +
                "it was trained on another backbone or feature tensor.");

        string? split = parseResult.GetValue(Split);
        if (split is null && dataset.HasSplits)
        {
            if (!dataset.Splits.Contains("val"))
                throw new CliException($"'{dataset.Root}' has no 'val' split (splits: {dataset.DescribeSplits()}); choose one with --split.", ExitCodes.Usage);
            split = "val";
        }
        var result = HeadTrainingRun.Evaluate(dataset, split, imported.Head, Inputs.Compute(parseResult), Inputs.Budget(parseResult));
        var outcome = new TrainingOutcome { Command = "evaluate", Result = result, HeadPath = headPath };
        if (imported.StandardizationFolded) notes.Add("the head's standardisation is folded into its first layer (it computes the same function)");
        outcome.Notes.AddRange(notes);
        if (parseResult.GetValue(Report) is { } report) outcome.SaveReport(report, $"{imported.Head.Kind} head {Path.GetFileName(headPath)} on '{result.Placements[0].Split}'");
        outcome.Seconds = stopwatch.Elapsed.TotalSeconds;
        outcome.Print(parseResult.GetValue(Json));
        return ExitCodes.Success;
    }

    private static void CheckFingerprint(ImportedHead head, EmbeddingDataset dataset, bool ignore, List<string> notes)
    {
        var headPrint = head.Fingerprint;
        var cachePrint = dataset.Fingerprint;
        if (headPrint is null || cachePrint is null)
        {
            if (headPrint is not null || cachePrint is not null)
                notes.Add($"the fingerprint cannot be compared: the {(headPrint is null ? "head" : "cache")} has none; only the dimension is checked");
            return;
        }
        if (string.Equals(headPrint.Sha256, cachePrint.Sha256, StringComparison.OrdinalIgnoreCase)) return;
        var message = $"The head was trained on a cache with fingerprint {headPrint.Short}…, but '{dataset.Root}' has {cachePrint.Short}…: " +
                      "its embeddings come from another backbone or preprocessing, so the head's scores on them are meaningless.";
        if (!ignore)
            throw new CliException(message + " Evaluate on the cache the head was trained on, or pass --ignore-fingerprint if the difference is harmless.");
        Console.Error.WriteLine("warning: " + message + " Going on because of --ignore-fingerprint.");
        notes.Add($"fingerprint mismatch ignored (head {headPrint.Short}, cache {cachePrint.Short})");
    }
}
