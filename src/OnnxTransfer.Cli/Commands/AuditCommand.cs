using System.CommandLine;
using System.Globalization;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Formats;
using OnnxTransfer.Training.Audit;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Reports;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer audit --cache DIR [--out DIR] [--slice-by COL [--manifest FILE]] [--folds K] [--json] [--report FILE.html]</c>:
/// problems in the labelled data before training on it — likely label errors (confident learning on out-of-fold
/// probabilities), near-duplicates within the training split and copies of training rows in the evaluation split,
/// class counts, per-slice accuracy. Writes <c>audit.parquet</c> and <c>audit.json</c> into --out.
/// </summary>
public static class AuditCommand
{
    private static readonly TrainingInputs Inputs = new();
    private static readonly Option<string> Out = new("--out") { Description = "Folder for audit.parquet (the flagged rows) and audit.json (the summary).", DefaultValueFactory = _ => "audit" };
    private static readonly Option<string?> SliceBy = new("--slice-by") { Description = "Report out-of-fold accuracy per value of this column: 'label', or a column of --manifest." };
    private static readonly Option<string?> Manifest = new("--manifest") { Description = "CSV/TSV with an 'id' (or 'path') column and the --slice-by column, joined to the cache rows by id." };
    private static readonly Option<int> Folds = new("--folds") { Description = "Folds of the out-of-fold probabilities (stratified).", DefaultValueFactory = _ => 5 };
    private static readonly Option<double> L2 = new("--l2") { Description = "L2 strength (1/C) of the fold heads (softmax regression on standardised features).", DefaultValueFactory = _ => 1.0 };
    private static readonly Option<double> DuplicateThreshold = new("--duplicate-threshold")
    {
        Description = "Cosine at or above which two rows are copies (near-duplicates, leakage).",
        DefaultValueFactory = _ => AuditSettings.DefaultDuplicateThreshold,
    };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the folds and the bootstrap.", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Report = new("--report") { Description = "Write an HTML report here (thumbnails of image rows link to their source files)." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the summary as one JSON object." };

    public static Command Create()
    {
        var command = new Command("audit", "Find likely label errors, near-duplicates, train/eval leakage and weak slices in a cache's labelled data.");
        Inputs.AddTo(command);
        foreach (var option in new Option[] { Out, SliceBy, Manifest, Folds, L2, DuplicateThreshold, Seed, Report, Json }) command.Options.Add(option);
        Folds.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 2) r.AddError("--folds must be at least 2."); });
        L2.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--l2 must be a positive number, e.g. 1."); });
        DuplicateThreshold.Validators.Add(r => { var t = r.GetValueOrDefault<double>(); if (!(t > -1 && t <= 1)) r.AddError("--duplicate-threshold must be a cosine in (-1, 1], e.g. 0.95."); });
        command.SetHandler((parseResult, _) => TrainingErrors.Translate(() => Execute(parseResult)));
        return command;
    }

    private static int Execute(ParseResult parseResult)
    {
        string? sliceBy = parseResult.GetValue(SliceBy), manifest = parseResult.GetValue(Manifest);
        if (manifest is not null && sliceBy is null)
            throw new CliException("--manifest only supplies the --slice-by column; name the column with --slice-by.", ExitCodes.Usage);
        var manifestWarnings = new List<string>();
        var sliceValues = manifest is null ? null : ManifestColumn.Read(manifest, sliceBy!, manifestWarnings);
        foreach (var warning in manifestWarnings) Console.Error.WriteLine($"warning: {warning}");
        if (sliceBy is not null && sliceValues is null && sliceBy != CacheLayout.LabelColumn)
            throw new CliException(
                $"--slice-by {sliceBy}: the cache rows carry only id, source, label and split. Give a --manifest (CSV/TSV with an 'id' or 'path' column and a '{sliceBy}' column), or use --slice-by label.",
                ExitCodes.Usage);
        var dataset = Inputs.OpenDataset(parseResult);
        var plan = dataset.PlanSplits(parseResult.GetValue(Inputs.TrainSplit), parseResult.GetValue(Inputs.EvalSplit));

        var settings = new AuditSettings
        {
            Folds = parseResult.GetValue(Folds),
            Seed = parseResult.GetValue(Seed),
            Softmax = new SoftmaxRegressionSettings { C = 1 / parseResult.GetValue(L2) },
            DuplicateThreshold = parseResult.GetValue(DuplicateThreshold),
            Compute = Inputs.Compute(parseResult),
        };
        var result = DataAudit.Run(dataset, plan, settings, sliceBy, sliceValues);

        var outFolder = parseResult.GetValue(Out)!;
        Directory.CreateDirectory(outFolder);
        var findingsPath = Path.Combine(outFolder, AuditLayout.FindingsFileName);
        AuditFindingsFile.Write(findingsPath, result.Findings);
        var summary = AuditSummaryJson.From(result, findingsPath);
        var json = summary.ToJson();
        File.WriteAllText(Path.Combine(outFolder, AuditLayout.SummaryFileName), json);
        if (parseResult.GetValue(Report) is { } report) AuditReportWriter.Save(result, report, $"Audit of {dataset.Root}");

        if (parseResult.GetValue(Json)) Console.WriteLine(json);
        else Print(result, findingsPath, plan.Notes);
        return ExitCodes.Success;
    }

    private static void Print(AuditResult result, string findingsPath, IReadOnlyList<string> notes)
    {
        static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        foreach (var note in notes) Console.WriteLine($"note: {note}");
        Console.WriteLine($"train '{result.TrainSplit}': {result.TrainRows} rows, classes {string.Join(", ", result.ClassCounts.Select(c => $"{c.Label}={c.Rows}"))} (largest/smallest {F(result.ImbalanceRatio)})");
        Console.WriteLine($"label issues: {result.LabelIssues} (confident learning, {result.Folds}-fold out-of-fold accuracy {F(result.OutOfFoldAccuracy)}; {F(result.LabelSeconds)} s)");
        foreach (var f in result.Findings.Where(f => f.Reason == AuditLayout.LabelIssueReason).Take(10))
            Console.WriteLine($"  #{f.Rank} {f.Id}: labelled {f.GivenLabel}, looks like {f.SuggestedLabel} (self-confidence {F(f.Score)})");
        Console.WriteLine($"near-duplicates in '{result.TrainSplit}' (cosine ≥ {F(result.DuplicateThreshold)}): {result.NearDuplicates} row(s)");
        if (result.EvaluationSplit is not null)
        {
            Console.WriteLine($"leakage: {result.Leaks} row(s) of '{result.EvaluationSplit}' duplicate a training row ({F(result.NeighbourSeconds)} s for the neighbour searches)");
            foreach (var f in result.Findings.Where(f => f.Reason == AuditLayout.LeakageReason).Take(10))
                Console.WriteLine($"  {f.Id} ~ {f.NeighbourId} (cosine {F(f.Score)})");
        }
        if (result.Slices is { } slices)
        {
            Console.WriteLine($"out-of-fold accuracy by {slices.Column} (all rows {F(slices.Accuracy)}, 95% bootstrap intervals):");
            foreach (var s in slices.Slices)
                Console.WriteLine($"  {s.Value}: {s.Rows} rows, accuracy {F(s.Accuracy)} [{F(s.Low)}, {F(s.High)}]{(s.Concentrated ? "  <- errors concentrated here" : "")}");
        }
        Console.WriteLine($"findings: {findingsPath}");
    }
}
