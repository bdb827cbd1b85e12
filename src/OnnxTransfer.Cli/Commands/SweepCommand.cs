using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Training.Selection;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer sweep --cache DIR --grid FILE|preset</c>: scores every candidate of a grid by cross-validation (or a
/// hold-out) on the training split only, prints them ranked with their validation scores and fit times, refits the
/// winner on the whole training split, reports it on the evaluation split, and exports it with <c>--out</c>.
/// </summary>
public static class SweepCommand
{
    private static readonly TrainingInputs Inputs = new();
    private static readonly Option<string> Grid = new("--grid")
    {
        Description = "A preset (softmax-l2, softmax-l2-fast, mlp-small) or a JSON grid file (see src/OnnxTransfer.Training/README.md).",
        Required = true,
    };
    private static readonly Option<int?> Folds = new("--cv") { Description = "Folds of the stratified cross-validation (overrides the grid's)." };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seeds the folds (and MLP initialisation) of a preset.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> Top = new("--top") { Description = "Candidates shown in the table (all are in --json and the report).", DefaultValueFactory = _ => 20 };
    private static readonly Option<string?> Out = new("--out") { Description = "Export the winning head here (.onnx)." };
    private static readonly Option<int> Opset = new("--opset") { Description = "ONNX opset of the exported head (13–23).", DefaultValueFactory = _ => 17 };
    private static readonly Option<string?> Report = new("--report") { Description = "Write an HTML report here (and its JSON beside it)." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the ranked candidates and the winner's metrics as one JSON object." };

    public static Command Create()
    {
        var command = new Command("sweep", "Rank heads of a grid by cross-validation on the training split; refit, evaluate and export the best.");
        Inputs.AddTo(command);
        foreach (var option in new Option[] { Grid, Folds, Seed, Top, Inputs.TrainViews, Out, Opset, Report, Json }) command.Options.Add(option);
        Folds.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 2) r.AddError("--cv needs at least 2 folds (5 is usual)."); });
        Top.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--top must be at least 1."); });
        command.SetHandler((parseResult, _) => TrainingErrors.Translate(() => Execute(parseResult)));
        return command;
    }

    private static int Execute(ParseResult parseResult)
    {
        var stopwatch = Stopwatch.StartNew();
        int seed = parseResult.GetValue(Seed);
        var gridName = parseResult.GetValue(Grid)!;
        SweepGrid grid;
        try
        {
            grid = SweepGrid.PresetOrFile(gridName, parseResult.GetValue(Folds) ?? 5, seed);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message, ExitCodes.Usage);
        }
        if (parseResult.GetValue(Folds) is int folds) grid = grid.WithValidation(ValidationScheme.KFold(folds, grid.Validation.Seed));

        var compute = Inputs.Compute(parseResult);
        var dataset = Inputs.OpenDataset(parseResult);
        var plan = dataset.PlanSplits(parseResult.GetValue(Inputs.TrainSplit), parseResult.GetValue(Inputs.EvalSplit));
        var notes = new List<string>(plan.Notes);
        var result = HeadTrainingRun.Sweep(dataset, plan, grid, compute, Inputs.Budget(parseResult), Inputs.TrainViewsOf(parseResult, dataset, notes));
        var sweep = result.Sweep!;
        var outcome = new TrainingOutcome { Command = "sweep", Result = result, HeadPath = parseResult.GetValue(Out) };
        outcome.Notes.AddRange(notes);
        outcome.Notes.AddRange(result.Notes);
        outcome.Notes.Add($"grid {grid}");
        outcome.Finish(parseResult.GetValue(Opset), parseResult.GetValue(Report), $"sweep {grid.Name} on {Path.GetFileName(dataset.Root.TrimEnd('/'))}");
        outcome.Seconds = stopwatch.Elapsed.TotalSeconds;

        if (parseResult.GetValue(Json)) outcome.Print(json: true);
        else
        {
            Console.Out.Write(Table(sweep, parseResult.GetValue(Top)));
            outcome.Print(json: false);
        }
        return ExitCodes.Success;
    }

    /// <summary>The ranked candidates: mean ± std of the selection metric over the folds, accuracy, log-loss, effort, time.</summary>
    private static string Table(SweepResult sweep, int top)
    {
        var invariant = CultureInfo.InvariantCulture;
        bool mlp = sweep.Points[0].Mlp is not null;
        var text = new StringBuilder();
        int nameWidth = Math.Max(9, sweep.Points.Max(p => p.Name.Length));
        text.AppendLine($"{"rank",4}  {"candidate".PadRight(nameWidth)}  {sweep.Metric.ToString().ToLowerInvariant() + " (cv)",16}  {"accuracy",8}  {"log-loss",8}  " +
                        $"{(mlp ? "epochs" : "iters"),6}  {"fit s",7}");
        foreach (var (point, rank) in TrainingOutcome.Ranked(sweep).Take(top))
        {
            string score = $"{TrainingOutcome.F(point.MeanScore)} ± {point.ScoreStandardDeviation.ToString("F3", invariant)}";
            string marker = ReferenceEquals(point, sweep.Best) ? " *" : (point.AllConverged ? "" : " (not converged)");
            text.AppendLine($"{rank,4}  {point.Name.PadRight(nameWidth)}  {score,16}  {TrainingOutcome.F(point.MeanAccuracy),8}  " +
                            $"{TrainingOutcome.F(point.MeanLogLoss),8}  {point.MeanIterations.ToString("F1", invariant),6}  {point.MeanFitSeconds.ToString("F3", invariant),7}{marker}");
        }
        if (sweep.Points.Count > top) text.AppendLine($"      … {sweep.Points.Count - top} more (--top, --json)");
        return text.ToString();
    }
}
