using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Output;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Scoring;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer score --model fused.onnx|--backbone SPEC --head head.onnx --input DIR|MANIFEST --out DIR</c>: batch
/// scoring for schedulers. Parts are atomic and fixed per shard, so a killed run reruns to exactly the uninterrupted
/// output; <c>--shard K/N</c> splits the inputs by a stable hash of their ids; SIGTERM/SIGINT finish the part in
/// progress and exit 130. Exit codes: 0 done (<c>_SUCCESS</c> written), 1 usage, 2 input/model/output error,
/// 3 more failed inputs than <c>--max-errors</c> (by default: every input failed) (all rows written, no <c>_SUCCESS</c>), 130 interrupted (rerun to continue).
/// </summary>
public static class ScoreCommand
{
    private static readonly Option<string> Input = new("--input")
    {
        Description = "Folder of images (split/label/file, label/file or flat) or a manifest (.csv/.tsv/.jsonl/.parquet with path, and optionally id, label); " +
                      "for a text model, a file of texts (.txt one per line, .csv/.tsv/.jsonl/.parquet with text, and optionally id, label).",
        Required = true,
    };
    private static readonly Option<bool> LabelPrefix = new("--label-prefix") { Description = "Text models, .txt input: each line is 'LABEL text' (the first word is the label)." };
    private static readonly Option<string> TextField = new("--text-field") { Description = "Text models: the column or field that holds the text.", DefaultValueFactory = _ => "text" };
    private static readonly Option<string> Out = new("--out") { Description = "Scores folder: parts, _manifest and _SUCCESS (per shard when sharded).", Required = true };
    private static readonly Option<string> Format = new("--format") { Description = "Part format: parquet or csv.", DefaultValueFactory = _ => "parquet" };
    private static readonly Option<string?> Shard = new("--shard") { Description = "K/N: score only shard K (0-based) of N, chosen by a stable hash of each input's id." };
    private static readonly Option<string?> MaxErrors = new("--max-errors") { Description = "Failed inputs allowed: a count (10), a fraction (0.05) or a percentage (5%). More: exit 3, no _SUCCESS. Default: any number, unless every input failed." };
    private static readonly Option<int> TopK = new("--top-k") { Description = "Labels in the top_k columns.", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> Batch = new("--batch") { Description = "Images per model run.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> RowsPerPart = new("--rows-per-part") { Description = "Rows per part file: the unit that survives a kill.", DefaultValueFactory = _ => 4096 };
    private static readonly Option<int> DecodeThreads = new("--decode-threads") { Description = "Threads decoding images or tokenising texts (0 = one per core).", DefaultValueFactory = _ => 0 };
    private static readonly PredictorLoading Loading = new();
    private static readonly Option<string> RunsInFlight = RunsInFlightOption.Create();
    private static readonly Option<string> WarmUp = WarmUpOption.Create();

    public static Command Create()
    {
        var command = new Command("score", "Score images (folder or manifest) or texts with a fused model into Parquet/CSV parts; resumable, shardable, scheduler-friendly.")
        {
            Input, Out, Format, Shard, MaxErrors, TopK, Batch, RowsPerPart, DecodeThreads, LabelPrefix, TextField,
        };
        Loading.AddTo(command);
        command.Options.Add(RunsInFlight); // after the device options (--fixed-batch, --cudnn-search)
        command.Options.Add(WarmUp);
        Format.AcceptOnlyFromAmong("parquet", "csv");
        foreach (var (option, name) in new[] { (TopK, "--top-k"), (Batch, "--batch"), (RowsPerPart, "--rows-per-part") })
            option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} must be at least 1."); });
        DecodeThreads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--decode-threads must be 0 (one per core) or more."); });
        Shard.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text)
                try { ShardSpec.Parse(text); } catch (FormatException e) { r.AddError(e.Message); }
        });
        MaxErrors.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text)
                try { ErrorBudget.Parse(text); } catch (FormatException e) { r.AddError(e.Message); }
        });
        command.SetHandler((parseResult, token) =>
        {
            var log = RunLog.ForStderr((parseResult.GetValue(Shard) is { } s ? ShardSpec.Parse(s) : ShardSpec.All).ToString());
            return log.Failures(() => PredictorLoading.Translate(() => Execute(parseResult, log, token)));
        });
        command.Subcommands.Add(CreateVerify());
        return command;
    }

    /// <summary><c>score verify --out DIR</c>: the scores' twin of <c>cache verify</c>.</summary>
    private static Command CreateVerify()
    {
        var folder = new Option<string>("--out") { Description = "The scores folder a score run wrote (every shard's parts are checked).", Required = true };
        var command = new Command("verify",
            "Check every part of a scores folder byte for byte (its sha256 file, every page's CRC); exit 2 naming each damaged part and the fix.")
        {
            folder,
        };
        command.SetHandler((parseResult, _) =>
        {
            var result = ScoreVerification.Verify(parseResult.GetValue(folder)!);
            foreach (var damaged in result.Damaged) Console.Error.WriteLine($"damaged: {damaged.Problem}");
            if (!result.IsIntact)
                throw new CliException($"{result.Damaged.Count} of {result.PartsChecked} part(s) of '{result.Directory}' are damaged (listed above); " +
                                       "delete each with its .sha256 file and rerun the same score command.");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ok: {result.PartsChecked} part(s), {result.RowsChecked} row(s) of '{result.Directory}' match their checksums"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Execute(ParseResult parseResult, RunLog log, CancellationToken token)
    {
        var shard = parseResult.GetValue(Shard) is { } s ? ShardSpec.Parse(s) : ShardSpec.All;
        // SIGTERM/SIGINT: the first finishes the part in progress and exits 130; a second stops at once.
        using var signals = new StopSignals(token,
            signal => log.Write("warning", "stopping", $"{signal}: finishing the part in progress, then exiting (signal again to stop at once)"),
            commandHandlesSecondSignal: true);

        using var predictor = Loading.Load(parseResult, parseResult.GetValue(TopK), parseResult.GetValue(Batch), allowSpinning: false,
            warnings: message => log.Write("warning", "model", message));
        var inputs = predictor.IsText
            ? TextInputFiles.Open(parseResult.GetValue(Input)!, parseResult.GetValue(LabelPrefix), parseResult.GetValue(TextField)!)
            : InputSet.Open(parseResult.GetValue(Input)!);
        var options = new ScoringOptions
        {
            Format = parseResult.GetValue(Format) == "csv" ? ScoreFormat.Csv : ScoreFormat.Parquet,
            Shard = shard,
            RowsPerPart = parseResult.GetValue(RowsPerPart),
            TopK = parseResult.GetValue(TopK),
            DecodeThreads = parseResult.GetValue(DecodeThreads),
            MaxErrors = parseResult.GetValue(MaxErrors) is { } m ? ErrorBudget.Parse(m) : ErrorBudget.Default,
            RunsInFlight = RunsInFlightOption.Parse(parseResult, RunsInFlight),
            WarmUp = WarmUpOption.Parse(parseResult, WarmUp),
        };
        var runs = Features.Pipeline.RunsInFlight.Resolve(options.RunsInFlight, predictor.ActiveProviders);
        var precision = Features.Numerics.ComputePrecisionNames.Of(predictor.Options.Precision);
        var output = Path.GetFullPath(parseResult.GetValue(Out)!);
        log.Write("info", "start", $"scoring {inputs.Count} inputs from {inputs.Source} (shard {shard}) with {predictor.Description} on " +
                                   $"{string.Join(", ", predictor.ActiveProviders)} at {precision} ({ExtractCommand.RunsLine(runs)}) into {output}",
            ("inputs", inputs.Count), ("source", inputs.Source), ("model", predictor.Description), ("out", output),
            ("providers", string.Join(",", predictor.ActiveProviders)), ("precision", precision), ("runs_in_flight", runs));

        var progress = new Progress(log);
        ScoringSummary summary;
        try { summary = new BatchScorer(predictor, options).Run(inputs, output, progress, signals.Graceful, signals.Immediate); }
        catch (DiskFullException e) { return log.DiskFull(e); }
        var text = summary.ToString();
        var fields = new (string, object?)[]
        {
            ("inputs_total", summary.TotalInputs), ("inputs", summary.ShardInputs), ("parts", summary.Parts), ("parts_kept", summary.PartsAlreadyDone),
            ("parts_written", summary.PartsWritten), ("rows_this_run", summary.RowsThisRun), ("errors", summary.Errors),
            ("errors_allowed", summary.ErrorsAllowed), ("errors_by_reason", summary.ErrorsByReason), ("seconds", summary.Elapsed.TotalSeconds),
            ("inputs_per_second", summary.InputsPerSecond), ("warm_up_seconds", summary.WarmUpTime.TotalSeconds),
            ("inputs_per_second_after_warm_up", summary.InputsPerSecondAfterWarmUp), ("succeeded", summary.Succeeded),
        };
        if (summary.Interrupted)
        {
            log.Write("warning", "interrupted", text + "; rerun the same command to continue", fields);
            return ExitCodes.Interrupted;
        }
        if (summary.TooManyErrors)
        {
            var budget = options.MaxErrors.IsDefault
                ? $"every input failed ({ErrorBudgetMessages.MostCommon(summary.ErrorsByReason)}), which is no success; pass --max-errors to accept failures"
                : $"more failed inputs than --max-errors {options.MaxErrors}";
            log.Write("error", "too-many-errors", $"{text}: {budget}; every row is written, _SUCCESS is not", fields);
            return ExitCodes.TooManyBadInputs;
        }
        log.Write("info", "done", text, fields);
        return ExitCodes.Success;
    }

    /// <summary>Logs each committed part (the scorer reports on its own thread; the log is thread-safe).</summary>
    private sealed class Progress(RunLog log) : IProgress<ScoringProgress>
    {
        public void Report(ScoringProgress p) => log.Write("info", "part",
            string.Create(CultureInfo.InvariantCulture, $"part {p.PartIndex}: {p.PartRows} rows, {p.PartErrors} errors; {p.PartsDone}/{p.PartsTotal} parts, {p.RowsDone} rows this run, {p.Elapsed.TotalSeconds:F1} s"),
            ("part", p.PartIndex), ("rows", p.PartRows), ("errors", p.PartErrors), ("parts_done", p.PartsDone), ("parts_total", p.PartsTotal),
            ("seconds", p.Elapsed.TotalSeconds));
    }
}
