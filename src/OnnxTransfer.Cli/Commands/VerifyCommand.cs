using System.CommandLine;
using System.Globalization;
using OnnxTransfer.Formats;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Verification;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer verify --cache C --backbone SPEC|--model FUSED [--head HEAD]</c>: does this deployment (machine,
/// device, precision, runtime, model file, preprocessing) reproduce the cache? The work is <see cref="DeploymentVerifier"/>'s;
/// this presents it and exits 3 below the thresholds.
/// </summary>
public static class VerifyCommand
{
    private static readonly Option<string> CacheFolder = new("--cache") { Description = "The cache to reproduce (extract wrote it).", Required = true };
    private static readonly Option<string?> Backbone = new("--backbone") { Description = "The backbone spec as it will run here (its embeddings are compared)." };
    private static readonly Option<string?> Model = new("--model") { Description = "A fused model as it will run here (its probabilities are compared; needs --head)." };
    private static readonly Option<string?> Head = new("--head")
    {
        Description = "The head: applied to the cached embeddings, and to the fresh ones with --backbone; with --model, the head it was composed from.",
    };
    private static readonly Option<int> SampleSize = new("--sample") { Description = "Cached inputs to re-embed, spread over splits and labels.", DefaultValueFactory = _ => 200 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the sample (the same seed picks the same inputs).", DefaultValueFactory = _ => 0 };
    private static readonly Option<double> MinCosine = new("--min-cosine") { Description = "Lowest cosine of a fresh vs cached embedding that passes.", DefaultValueFactory = _ => 0.999 };
    private static readonly Option<double> MinTop1 = new("--min-top1") { Description = "Lowest top-1 agreement with the head on the cache that passes (0.999 = 99.9%).", DefaultValueFactory = _ => 0.999 };
    private static readonly Option<int> Batch = new("--batch") { Description = "Inputs per inference call.", DefaultValueFactory = _ => 16 };
    private static readonly Option<int> Worst = new("--worst") { Description = "Inputs with the lowest cosine (or probability agreement) to list in the text output.", DefaultValueFactory = _ => 5 };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the report as one JSON object (every sampled input included)." };
    private static readonly Option<string> Precision = PrecisionOption.Create();
    private static readonly DeviceOptions Device = new();

    public static Command Create()
    {
        var command = new Command("verify",
            "Re-embed a stratified sample of a cache's inputs where you will run and compare with the cache: cosine and largest difference of " +
            "embeddings, and with a head top-1 agreement and probabilities. Exits 3 below --min-cosine or --min-top1.")
        {
            CacheFolder, Backbone, Model, Head, SampleSize, Seed, MinCosine, MinTop1, Batch, Device.Device, Device.DeviceId, Device.CpuFallback,
            Device.Threads, Device.FixedBatch, Device.IoBinding, Device.CudnnSearch, Device.PreferNhwc, Precision, Worst, Json,
        };
        command.Validators.Add(result =>
        {
            var backbone = result.GetValue(Backbone) is not null;
            var model = result.GetValue(Model) is not null;
            if (backbone == model) result.AddError("Name what runs here: --backbone SPEC (optionally with --head HEAD), or --model FUSED --head HEAD.");
            else if (model && result.GetValue(Head) is null)
                result.AddError("--model needs --head HEAD: the head the fused model was composed from, applied to the cached embeddings for comparison.");
        });
        SampleSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--sample must be at least 1."); });
        Batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be at least 1."); });
        Worst.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--worst must be 0 or more."); });
        MinCosine.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (>= -1 and <= 1)) r.AddError("--min-cosine must be within -1..1, e.g. 0.999."); });
        MinTop1.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not (>= 0 and <= 1)) r.AddError("--min-top1 must be within 0..1, e.g. 0.999 for 99.9%."); });
        command.SetHandler((parseResult, token) => Execute(parseResult, token));
        return command;
    }

    private static int Execute(ParseResult parseResult, CancellationToken token)
    {
        var options = new VerificationOptions
        {
            SampleSize = parseResult.GetValue(SampleSize),
            Seed = parseResult.GetValue(Seed),
            MinCosine = parseResult.GetValue(MinCosine),
            MinTop1Agreement = parseResult.GetValue(MinTop1),
            BatchSize = parseResult.GetValue(Batch),
        };
        void Warn(string message) => Console.Error.WriteLine($"warning: {message}");
        var runOptions = PrecisionOption.Checked(Device.ToRunOptions(parseResult) with { Precision = PrecisionOption.Parse(parseResult, Precision) });
        using var cache = EmbeddingCache.Open(parseResult.GetValue(CacheFolder)!);
        var head = parseResult.GetValue(Head) is { } headPath ? HeadModel.Load(headPath) : null;

        VerificationReport report;
        if (parseResult.GetValue(Backbone) is { } specPath)
        {
            var spec = BackboneSpecFile.Load(specPath);
            if (spec.Kind != BackboneKind.Image)
                throw new CliException($"Backbone '{spec.Name}' is a text backbone; verify re-embeds images and does not support text caches yet.", ExitCodes.InputError);
            using var backbone = ImageBackbone.Load(spec, runOptions);
            report = DeploymentVerifier.Verify(cache, backbone, head, options, token);
        }
        else
        {
            using var predictor = Predictor.FromFusedModel(parseResult.GetValue(Model)!,
                PredictorOptions.RunningAs(runOptions) with { MaxBatchSize = options.BatchSize, WarningSink = Warn });
            report = DeploymentVerifier.Verify(cache, predictor, head!, options, token);
        }

        if (parseResult.GetValue(Json)) WriteJson(report);
        else WriteText(report, parseResult.GetValue(Worst));
        if (report.Passed) return ExitCodes.Success;
        Console.Error.WriteLine($"error: the deployment does not reproduce the cache: {string.Join("; ", report.FailedChecks)}.");
        return ExitCodes.BelowThreshold;
    }

    private static void WriteText(VerificationReport r, int worst)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"cache      {r.Cache} ({r.CacheRows} rows), numerics {string.Join("; ", r.CacheNumerics.Select(n => n.Describe()))}");
        Console.WriteLine($"here       {r.Target} on {string.Join(", ", r.Providers)}{(r.RunNumerics is { } n ? $", numerics {n.Describe()}" : "")}");
        Console.WriteLine(string.Create(c, $"sample     {r.Sampled} inputs (seed {r.Options.Seed}): {r.Compared} compared, {r.Failures.Count} could not be read"));
        if (r.Embeddings is { } e)
            Console.WriteLine(string.Create(c, $"embeddings min cosine {e.MinCosine:F7}, median {e.MedianCosine:F7}, max abs difference {e.MaxAbsDifference:G4} (pass: min cosine ≥ {r.Options.MinCosine})"));
        if (r.Head is { } h)
            Console.WriteLine(string.Create(c, $"head       top-1 agreement {h.Top1Agreement * 100:F2}% ({h.Disagreements} differ), max probability difference {h.MaxProbabilityDifference:G4} " +
                                              $"(pass: ≥ {r.Options.MinTop1Agreement * 100:F2}%)"));
        foreach (var note in r.Notes) Console.WriteLine($"note       {note}");
        var worstInputs = r.Inputs.Where(i => i.Cosine is not null || i.MaxProbabilityDifference is not null)
            .OrderBy(i => i.Cosine ?? 1).ThenByDescending(i => i.MaxProbabilityDifference ?? 0).Take(worst).ToArray();
        if (worstInputs.Length > 0 && !r.Passed)
        {
            Console.WriteLine("worst");
            foreach (var i in worstInputs)
                Console.WriteLine(string.Create(c, $"  {i.Id}{(i.Cosine is { } cos ? $" cosine {cos:F6}" : "")}{(i.MaxProbabilityDifference is { } p ? $" probability difference {p:G4}" : "")}" +
                                                   $"{(i.Top1 != i.CachedTop1 ? " (top-1 differs)" : "")}"));
        }
        foreach (var f in r.Failures.Take(Math.Max(worst, 5))) Console.WriteLine($"unreadable {f.Id} [{f.Reason}] {f.Message}");
        if (r.Failures.Count > Math.Max(worst, 5)) Console.WriteLine($"           … {r.Failures.Count - Math.Max(worst, 5)} more (--json lists all)");
        Console.WriteLine(r.Passed ? "verdict    PASS: this deployment reproduces the cache" : $"verdict    FAIL: {string.Join("; ", r.FailedChecks)}");
    }

    private static void WriteJson(VerificationReport r) => CliJson.Print(new ReportJson(r.Cache, r.Target, r.Providers, r.CacheNumerics,
        r.RunNumerics, r.CacheRows, r.Options.Seed, r.Sampled, r.Compared, r.Failures.Count, r.Embeddings, r.Head,
        new Thresholds(r.Options.MinCosine, r.Options.MinTop1Agreement), r.Passed, r.FailedChecks, r.Notes, r.Inputs, r.Failures), CliJson.Default.ReportJson);

    /// <summary><c>verify --json</c>: the report's records as they are, plus where and against what it ran.</summary>
    internal sealed record ReportJson(string Cache, string Target, IReadOnlyList<string> Providers, IReadOnlyList<EmbeddingNumerics> CacheNumerics,
        EmbeddingNumerics? Numerics, int CacheRows, int Seed, int Sampled, int Compared, int Unreadable, EmbeddingAgreement? Embeddings,
        HeadAgreement? Head, Thresholds Thresholds, bool Passed, IReadOnlyList<string> FailedChecks, IReadOnlyList<string> Notes,
        IReadOnlyList<VerifiedInput> Inputs, IReadOnlyList<VerificationFailure> UnreadableInputs);

    internal sealed record Thresholds(double MinCosine, double MinTop1);
}
