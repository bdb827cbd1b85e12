using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Output;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer extract --backbone SPEC --images DIR|MANIFEST --cache DIR</c> (or <c>--texts FILE</c> with a text
/// backbone): runs the backbone over the inputs once and keeps the embeddings in a fingerprinted Parquet cache. A rerun
/// continues where an interrupted run stopped and adds only new inputs; bad images and texts become error rows.
/// Progress goes to stderr, the summary to stdout.
/// </summary>
public static class ExtractCommand
{
    private static readonly Option<string> Backbone = new("--backbone") { Description = "Backbone spec (*.backbone.json; onnx-models/ has examples).", Required = true };
    private static readonly Option<string?> Images = new("--images") { Description = "Image backbones: a folder of images (split/label/file, label/file or flat) or a manifest (.csv/.tsv/.jsonl/.parquet with path, label, split, id)." };
    private static readonly Option<string?> Texts = new("--texts")
    {
        Description = "Text backbones: a file of texts — .txt (one per line), .csv/.tsv (columns text, and optionally label, split, id), " +
                      ".jsonl (fields text, label, split, id) or .parquet (same columns). Ids are the id column, else the line number.",
    };
    private static readonly Option<bool> LabelPrefix = new("--label-prefix") { Description = "With --texts FILE.txt: each line is 'LABEL text' (the first word is the label), as SST-2." };
    private static readonly Option<string> TextField = new("--text-field") { Description = "With --texts: the column or field that holds the text.", DefaultValueFactory = _ => "text" };
    private static readonly Option<bool> RefuseLongTexts = new("--refuse-long-texts")
    {
        Description = "With --texts: a text longer than the spec's max_length tokens becomes an error row (too-many-tokens) instead of being truncated (the default; truncations are counted in the summary).",
    };
    private static readonly Option<string> CacheFolder = new("--cache") { Description = "Cache folder: created if new, continued if it holds this backbone's embeddings.", Required = true };
    private static readonly Option<int> Batch = new("--batch") { Description = "Images (or texts) per inference call.", DefaultValueFactory = _ => 32 };
    // The same thread flags as score: --decode-threads prepares inputs, --threads (DeviceOptions) runs the model.
    private static readonly Option<int> DecodeThreads = new("--decode-threads") { Description = "Threads decoding images or tokenising texts (0 = one per core).", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> NewCache = new("--new-cache") { Description = "Replace a cache made with another backbone or preprocessing (deletes its manifest and parts, nothing else)." };
    private static readonly Option<bool> AllowMixedNumerics = new("--allow-mixed-numerics")
    {
        Description = "Add parts to a cache made with other numerics (provider or precision, e.g. CPU int8 kernels vs CUDA float); " +
                      "the manifest then lists every numerics present. Without it such a run is refused before any work.",
    };
    private static readonly Option<string> Precision = PrecisionOption.Create();
    private static readonly Option<string> RunsInFlight = RunsInFlightOption.Create();
    private static readonly Option<string> WarmUp = WarmUpOption.Create();
    private static readonly Option<int?> Limit = new("--limit") { Description = "Extract at most N new inputs this run (the rest wait for the next run)." };
    private static readonly Option<int> RowsPerPart = new("--rows-per-part") { Description = "Rows per part file: the unit that survives a kill.", DefaultValueFactory = _ => 2048 };
    private static readonly Option<bool> RetryErrors = new("--retry-errors") { Description = "Try again the inputs that failed in earlier runs (by default they count as done)." };
    private static readonly Option<int?> MaxErrors = new("--max-errors")
    {
        Description = "Exit with code 3 and write no _SUCCESS when more inputs than this fail (the error rows are kept). Default: any number, unless every input failed.",
    };
    private static readonly Option<double?> PartSeconds = new("--part-seconds")
    {
        Description = "Also commit a part once it has been open this many seconds, so a hard kill (a scheduler's time limit) loses at most that much work; " +
                      "set it below the signal lead time of your scheduler.",
    };
    private static readonly Option<string?> Shard = new("--shard")
    {
        Description = "K/N: extract only the inputs of shard K of N (0-based; the same stable id hash as score), so N workers fill one cache side by side. " +
                      "Parts are named part-NNNNN.shard-K-of-N.parquet; the cache is complete when all N shards finished.",
    };
    private static readonly Option<string?> Views = new("--views")
    {
        Description = "Image backbones: also store these views of every input, comma-separated (hflip: the preprocessed tensor mirrored left-right), " +
                      "each a row with its view id beside the original's; train then learns from every view of the training split and reports test-time " +
                      "augmentation. A rerun with more views adds only the missing rows.",
    };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the summary as one JSON object." };
    private static readonly Option<bool> Quiet = new("--quiet") { Description = "No progress on stderr." };
    private static readonly DeviceOptions Device = new();

    public static Command Create()
    {
        var command = new Command("extract", "Run a backbone over images or texts once and keep their embeddings in a resumable Parquet cache.")
        {
            Backbone, Images, Texts, LabelPrefix, TextField, RefuseLongTexts, CacheFolder, Batch, DecodeThreads, Device.Device, Device.DeviceId,
            Device.CpuFallback, Device.Threads, Device.FixedBatch, Device.IoBinding, RunsInFlight, WarmUp,
            Device.CudnnSearch, Device.PreferNhwc, Precision, NewCache, AllowMixedNumerics, Limit, RowsPerPart, PartSeconds, RetryErrors, MaxErrors, Shard, Views, Json, Quiet,
        };
        command.Validators.Add(result =>
        {
            var images = result.GetValue(Images) is not null;
            var texts = result.GetValue(Texts) is not null;
            if (images && texts) result.AddError("Give --images (image backbones) or --texts (text backbones), not both.");
            else if (!images && !texts) result.AddError("Name the inputs: --images DIR|MANIFEST for an image backbone, --texts FILE for a text backbone.");
            if (!texts && (result.GetValue(LabelPrefix) || result.GetValue(RefuseLongTexts)))
                result.AddError("--label-prefix and --refuse-long-texts go with --texts.");
            if (texts && result.GetValue(Views) is not null)
                result.AddError("--views goes with --images: a view is a transform of an image tensor (hflip mirrors it); texts have none.");
        });
        Positive(Batch, "--batch", "32 is a good start on CPU, 64–256 on a GPU");
        Positive(RowsPerPart, "--rows-per-part", "the default 2048 suits most runs");
        NotNegative(DecodeThreads, "--decode-threads");
        Limit.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0) r.AddError("--limit must be 0 or more."); });
        MaxErrors.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0) r.AddError("--max-errors must be 0 or more."); });
        PartSeconds.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is <= 0) r.AddError("--part-seconds must be positive (e.g. 120)."); });
        Views.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && ParseViews(text).Error is { } error) r.AddError(error);
        });
        Shard.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is not { } text) return;
            try { ShardSpec.Parse(text); }
            catch (FormatException e) { r.AddError(e.Message); }
        });
        command.SetHandler((parseResult, token) =>
        {
            // Warnings and errors go through the run log: JSON lines off a terminal, as score's and the disk-full report.
            var log = RunLog.ForStderr(ShardOf(parseResult).ToString());
            return log.Failures(() => Execute(parseResult, log, token));
        });
        return command;
    }

    private static ShardSpec ShardOf(ParseResult parseResult) => parseResult.GetValue(Shard) is { } text ? ShardSpec.Parse(text) : ShardSpec.All;

    private static int Execute(ParseResult parseResult, RunLog log, CancellationToken token)
    {
        var quiet = parseResult.GetValue(Quiet);
        void Info(string line) { if (!quiet) Console.Error.WriteLine(line); }
        // Signals are ours from the first moment (a scheduler's SIGTERM can come while the model loads or a large input
        // set is scanned): the first commits the rows finished so far and exits 130; a second ends the process at once.
        using var interrupt = new StopSignals(token,
            _ => log.Write("warning", "stopping", "stopping: committing the rows finished so far (interrupt again to stop at once)"),
            commandHandlesSecondSignal: false);

        var spec = BackboneSpecFile.Load(parseResult.GetValue(Backbone)!);
        var runOptions = PrecisionOption.Checked(Device.ToRunOptions(parseResult) with
        {
            Precision = PrecisionOption.Parse(parseResult, Precision),
            WarningSink = message => log.Write("warning", "backbone", message),
        });
        var textPath = parseResult.GetValue(Texts);
        if (spec.Kind == BackboneKind.Text && textPath is null)
            throw new CliException($"Backbone '{spec.Name}' is a text backbone: give the texts with --texts FILE (.txt, .csv, .tsv, .jsonl or .parquet).", ExitCodes.Usage);
        var views = parseResult.GetValue(Views) is { } viewText ? ParseViews(viewText).Views : [];
        if (spec.Kind == BackboneKind.Text && views.Count > 0)
            throw new CliException($"Backbone '{spec.Name}' is a text backbone: --views are transforms of an image tensor (hflip mirrors it); leave --views out.", ExitCodes.Usage);
        if (spec.Kind == BackboneKind.Image && textPath is not null)
            throw new CliException($"Backbone '{spec.Name}' is an image backbone: give the images with --images DIR|MANIFEST (--texts is for text backbones).", ExitCodes.Usage);

        using var run = ExtractTarget.Load(spec, runOptions, parseResult.GetValue(RefuseLongTexts));
        Info($"backbone   {spec.Name}: {run.Backbone.ModelPath}");
        Info($"features   {run.Backbone.FeatureTensor} → {run.Backbone.Dimension} floats{run.Pooling}{(spec.Features.L2Normalize ? ", L2-normalised" : "")} " +
             $"on {string.Join(", ", run.Backbone.ActiveProviders)}");
        Info($"numerics   {run.Backbone.Numerics.Describe()}");
        var runsInFlight = RunsInFlightOption.Parse(parseResult, RunsInFlight);
        Info($"batches    {BatchShapeLine(runOptions)}; {RunsLine(Features.Pipeline.RunsInFlight.Resolve(runsInFlight, run.Backbone.ActiveProviders))}");
        if (run.Backbone.FeatureExplanation is { } why) Info($"           {why}");
        foreach (var note in run.Backbone.Notes) Info($"note       {note}");

        var inputs = textPath is null
            ? InputSet.Open(parseResult.GetValue(Images)!)
            : TextInputFiles.Open(textPath, parseResult.GetValue(LabelPrefix), parseResult.GetValue(TextField)!);
        Info($"inputs     {inputs.Count} from {inputs.Source} ({Describe(inputs.Layout)}" +
             $"{(inputs.IgnoredFiles > 0 ? $"; {inputs.IgnoredFiles} non-image files ignored" : "")})");

        var options = new ExtractionOptions
        {
            BatchSize = parseResult.GetValue(Batch),
            DecodeThreads = parseResult.GetValue(DecodeThreads),
            RowsPerPart = parseResult.GetValue(RowsPerPart),
            PartTime = parseResult.GetValue(PartSeconds) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Limit = parseResult.GetValue(Limit),
            RetryErrors = parseResult.GetValue(RetryErrors),
            MaxErrors = parseResult.GetValue(MaxErrors),
            RunsInFlight = runsInFlight,
            WarmUp = WarmUpOption.Parse(parseResult, WarmUp),
        };
        var cacheFolder = parseResult.GetValue(CacheFolder)!;
        var state = !EmbeddingCache.Exists(cacheFolder) ? "new"
            : EmbeddingCache.ReadManifest(Path.Combine(cacheFolder, CacheLayout.ManifestFile)).Fingerprint.Equals(run.Manifest.Fingerprint) ? "continuing" : "replacing";
        var shard = ShardOf(parseResult);
        using var cache = EmbeddingCache.OpenForWriting(cacheFolder, run.ManifestWith(views), shard, parseResult.GetValue(NewCache), parseResult.GetValue(AllowMixedNumerics));
        if (cache.Manifest.Views is { } cacheViews) Info($"views      {CacheView.Describe(cacheViews)}: a row per view of every input (view ids {string.Join(", ", cacheViews.Select(v => v.Id))})");
        if (!shard.IsAll) Info($"shard      {shard}: the inputs whose id hash modulo {shard.Count} is {shard.Index}");
        if (cache.Manifest.HasMixedNumerics)
            log.Write("warning", "mixed-numerics", $"the cache holds embeddings of {cache.Manifest.Numerics.Count} numerics ({string.Join("; ", cache.Manifest.Numerics.Select(n => n.Describe()))}); " +
                                                   "`onnxtransfer verify` measures how far apart they are.");
        Info($"cache      {cache.Directory} ({state}, fingerprint {cache.Fingerprint.Sha256[..12]}…)");

        var pipeline = run.Pipeline(options);
        interrupt.Graceful.ThrowIfCancellationRequested(); // stopped while starting: nothing to commit, exit 130
        ExtractionSummary summary;
        try
        {
            summary = ExtractProgressView.UseBar(quiet)
                ? ExtractProgressView.WithBar(spec.Name, run.Unit, progress => pipeline.Run(inputs, cache, progress, interrupt.Graceful))
                : pipeline.Run(inputs, cache, quiet ? null : ExtractProgressView.Plain(run.Unit), interrupt.Graceful);
        }
        catch (DiskFullException e)
        {
            return log.DiskFull(e);
        }

        if (parseResult.GetValue(Json)) WriteJson(summary, run.Backbone.Dimension, run.Unit);
        else WriteText(summary, run.Backbone.Dimension, run.Unit);

        if (summary.TooManyErrors)
        {
            var budget = parseResult.GetValue(MaxErrors) is { } maxErrors
                ? $"{summary.Failed} inputs failed, more than --max-errors {maxErrors}"
                : $"every one of the {summary.Failed} inputs failed ({ErrorBudgetMessages.MostCommon(summary.ErrorsByReason)}), which is no success";
            log.Write("error", "too-many-errors", $"{budget}; the error rows are kept (`onnxtransfer cache info {cache.Directory}` lists them) and _SUCCESS is not written. " +
                                                  "Fix the inputs and rerun with --retry-errors, or pass --max-errors N to accept N failures.",
                ("failed", summary.Failed), ("errors_by_reason", summary.ErrorsByReason));
            return ExitCodes.TooManyBadInputs;
        }
        return ExitCodes.Success;
    }

    /// <summary>The views of --views (the original is always stored; naming it is allowed), or why the list is not usable.</summary>
    private static (IReadOnlyList<InputView> Views, string? Error) ParseViews(string text)
    {
        var views = new List<InputView>();
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (InputView.Find(name) is not { } view)
                return ([], $"--views: unknown view '{name}'; the views are {string.Join(", ", InputView.Known.Select(v => v.Name))}.");
            if (!views.Contains(view)) views.Add(view);
        }
        return views.Count == 0 ? ([], "--views needs at least one view, e.g. --views hflip.") : (views, null);
    }

    private static string Describe(FolderLayout layout) => layout switch
    {
        FolderLayout.SplitAndLabelFolders => "split/label folders",
        FolderLayout.LabelFolders => "label folders",
        FolderLayout.Flat => "flat folder, no labels",
        FolderLayout.TextFile => "texts",
        _ => "manifest",
    };

    private static void WriteText(ExtractionSummary s, int dimension, string unit)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"cache      {s.CacheDirectory} (fingerprint {s.FingerprintSha256[..12]}…)"));
        Console.WriteLine(string.Create(c, $"inputs     {s.Inputs}: {s.Embedded} embedded, {s.Failed} failed, {s.AlreadyCached} already cached" +
                                           $"{(s.Deferred > 0 ? $", {s.Deferred} left for the next run (--limit)" : "")}{(s.Retried > 0 ? $" ({s.Retried} earlier failures retried)" : "")}"));
        if (s.ErrorsByReason.Count > 0)
            Console.WriteLine($"errors     {string.Join(", ", s.ErrorsByReason.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {e.Value}"))}");
        if (s.Truncated > 0)
            Console.WriteLine(string.Create(c, $"truncated  {s.Truncated} texts longer than the spec's max_length were cut to it (--refuse-long-texts makes them error rows)"));
        if (s.ZeroEmbeddings > 0)
        {
            var why = s.Numerics.Precision == Features.Numerics.ComputePrecisionNames.Of(Features.Numerics.ComputePrecision.Fp16)
                ? "at fp16, features below float16's range (6e-8) become zero; extract at fp32 or tf32 (compare with `onnxtransfer verify --precision fp16`)"
                : "the model gave these inputs no feature at all; check the feature tensor and the inputs";
            Console.WriteLine(string.Create(c, $"zeros      {s.ZeroEmbeddings} embedding(s) are all zeros: {why}"));
        }
        if (s.Views.Count > 0)
            Console.WriteLine(string.Create(c, $"views      {string.Join(", ", s.Views)}: {s.EmbeddedRows} view row(s) written for the {s.Embedded} input(s) embedded"));
        Console.WriteLine(string.Create(c, $"embeddings {dimension} floats each; {s.PartsWritten} part(s) written{(s.ErrorPartsWritten > 0 ? $", {s.ErrorPartsWritten} error part(s)" : "")}"));
        var prepare = unit == "texts" ? "tokenise" : "decode";
        Console.WriteLine(string.Create(c, $"time       {s.Elapsed.TotalSeconds:F1} s, {s.ImagesPerSecond:F1} {unit}/s (batch {s.BatchSize}, {s.DecodeThreads} {prepare} threads, " +
                                           $"{string.Join(", ", s.Providers)})"));
        if (s.WarmUpTime > TimeSpan.Zero)
            Console.WriteLine(string.Create(c, $"warm-up    {s.WarmUpTime.TotalSeconds:F1} s of it: the model's first run, on a blank batch before decoding started" +
                                               $"{(s.Providers.Contains(EmbeddingNumerics.CudaProvider) ? " (CUDA's kernels loaded, cuDNN's algorithm search)" : "")}; " +
                                               $"{s.ImagesPerSecondAfterWarmUp:F1} {unit}/s after it"));
        Console.WriteLine(string.Create(c, $"stages     {prepare} {s.DecodeTime.TotalSeconds:F1} s (summed over threads), inference {s.InferenceTime.TotalSeconds:F1} s " +
                                           $"{(s.RunsInFlight > 1 ? $"(summed over {s.RunsInFlight} runs in flight; " : "(")}waited {s.InferenceWaitTime.TotalSeconds:F1} s for {unit}), write {s.WriteTime.TotalSeconds:F1} s"));
    }

    private static void WriteJson(ExtractionSummary s, int dimension, string unit)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("cache", s.CacheDirectory);
            json.WriteString("fingerprint_sha256", s.FingerprintSha256);
            json.WriteNumber("dim", dimension);
            json.WriteNumber("inputs", s.Inputs);
            json.WriteNumber("embedded", s.Embedded);
            json.WriteNumber("failed", s.Failed);
            if (s.Views.Count > 0)
            {
                json.WriteStartArray("views");
                foreach (var view in s.Views) json.WriteStringValue(view);
                json.WriteEndArray();
                json.WriteNumber("view_rows", s.EmbeddedRows);
            }
            json.WriteNumber("already_cached", s.AlreadyCached);
            json.WriteNumber("deferred", s.Deferred);
            json.WriteNumber("retried", s.Retried);
            if (unit == "texts") json.WriteNumber("truncated", s.Truncated);
            json.WriteNumber("zero_embeddings", s.ZeroEmbeddings);
            json.WriteStartObject("errors_by_reason");
            foreach (var (reason, count) in s.ErrorsByReason) json.WriteNumber(reason, count);
            json.WriteEndObject();
            json.WriteNumber("parts_written", s.PartsWritten);
            json.WriteNumber("error_parts_written", s.ErrorPartsWritten);
            json.WriteNumber("seconds", s.Elapsed.TotalSeconds);
            json.WriteNumber(unit == "texts" ? "texts_per_second" : "images_per_second", s.ImagesPerSecond);
            json.WriteNumber("warm_up_seconds", s.WarmUpTime.TotalSeconds);
            json.WriteNumber(unit == "texts" ? "texts_per_second_after_warm_up" : "images_per_second_after_warm_up", s.ImagesPerSecondAfterWarmUp);
            json.WriteNumber("decode_seconds", s.DecodeTime.TotalSeconds);
            json.WriteNumber("inference_seconds", s.InferenceTime.TotalSeconds);
            json.WriteNumber("inference_wait_seconds", s.InferenceWaitTime.TotalSeconds);
            json.WriteNumber("write_seconds", s.WriteTime.TotalSeconds);
            json.WriteNumber("batch", s.BatchSize);
            json.WriteNumber("runs_in_flight", s.RunsInFlight);
            json.WriteNumber("decode_threads", s.DecodeThreads);
            json.WriteStartArray("providers");
            foreach (var provider in s.Providers) json.WriteStringValue(provider);
            json.WriteEndArray();
            json.WritePropertyName("numerics");
            s.Numerics.Write(json);
            json.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void Positive(Option<int> option, string name, string hint) =>
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} must be at least 1 ({hint})."); });

    private static void NotNegative(Option<int> option, string name) =>
        option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError($"{name} must be 0 or more (0 = one per core)."); });

    /// <summary>
    /// The batch settings as the run log records them (a short batch padded or run short; tensors bound, pinned on CUDA;
    /// cuDNN's search; convolutions channels-last).
    /// </summary>
    private static string BatchShapeLine(BackboneRunOptions options) =>
        (options.PadsShortBatches ? "fixed shape (a short batch is padded; padding rows dropped)" : "a short last batch runs short") +
        (options.BindsBatches ? (options.Device == DeviceKind.Cuda ? "; io binding, pinned host buffers" : "; io binding") : "") +
        (options.Device == DeviceKind.Cuda ? $"; cudnn search {GpuBatchNames.Of(options.EffectiveCudnnSearch)}" : "") +
        (options.UsesNhwc ? "; convolutions channels-last (nhwc)" : "");

    /// <summary>The runs in flight as the run log records them (extract's batches line, score's start line).</summary>
    internal static string RunsLine(int runs) => runs == 1 ? "1 run in flight" : $"{runs} runs in flight";
}
