using System.CommandLine;
using System.Globalization;
using OnnxTransfer.Formats;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Numerics;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer cache info DIR [--json]</c>: what an embedding cache holds — rows per split and label, dimension,
/// backbone fingerprint, parts, and the inputs that failed with their reasons.
/// </summary>
public static class CacheCommand
{
    public static Command Create()
    {
        var command = new Command("cache", "Look inside embedding caches.");
        command.Subcommands.Add(CreateInfo());
        command.Subcommands.Add(CreateVerify());
        command.Subcommands.Add(CreateRepair());
        return command;
    }

    private static Command CreateVerify()
    {
        var folder = new Argument<string>("cache") { Description = "The cache folder `extract` wrote." };
        var command = new Command("verify",
            "Check every part of a cache byte for byte (its sha256 file, every page's CRC, its fingerprint); exit 2 naming each damaged part and the fix.")
        {
            folder,
        };
        command.SetHandler((parseResult, _) =>
        {
            using var cache = EmbeddingCache.Open(parseResult.GetValue(folder)!);
            var result = CacheVerification.Verify(cache);
            foreach (var damaged in result.Damaged) Console.Error.WriteLine($"damaged: {damaged.Problem}");
            if (!result.IsIntact)
                throw new CliException($"{result.Damaged.Count} of {result.PartsChecked} part(s) of '{result.Directory}' are damaged (listed above); " +
                                       "delete each with its .sha256 file and rerun the same extract command.");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ok: {result.PartsChecked} part(s), {result.RowsChecked} row(s) of '{result.Directory}' match their checksums"));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>cache repair --cache DIR</c>: rebuilds a missing or damaged manifest from the parts (<see cref="CacheRepair"/>).</summary>
    private static Command CreateRepair()
    {
        var folder = new Option<string>("--cache") { Description = "The cache folder whose _manifest.json is missing or damaged.", Required = true };
        var mixed = new Option<bool>("--allow-mixed-numerics") { Description = "The cache was extracted with --allow-mixed-numerics: record every numerics its parts hold." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("repair",
            "Rebuild a missing or damaged _manifest.json from the parts (fingerprint, numerics, backbone), checking every part's checksum first; " +
            "exit 2 with nothing written when the parts disagree or cannot be trusted.")
        {
            folder, mixed, json,
        };
        command.SetHandler((parseResult, _) =>
        {
            var result = CacheRepair.Run(parseResult.GetValue(folder)!, parseResult.GetValue(mixed));
            if (parseResult.GetValue(json)) CacheRepairOutput.WriteJson(result);
            else CacheRepairOutput.WriteText(result);
            foreach (var damaged in result.Damaged) Console.Error.WriteLine($"damaged: {damaged.Problem}");
            if (result.Damaged.Count > 0)
                throw new CliException($"The manifest was rebuilt from the intact parts, but {result.Damaged.Count} part(s) are damaged (listed above): " +
                                       "delete each with its .sha256 file and rerun the same extract command.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateInfo()
    {
        var folder = new Argument<string>("cache") { Description = "The cache folder `extract` wrote." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (every error included)." };
        var errors = new Option<int>("--errors") { Description = "Failed inputs to list in the text output.", DefaultValueFactory = _ => 20 };
        errors.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--errors must be 0 or more."); });
        var command = new Command("info", "Show rows per split and label, dimension, fingerprint and errors of a cache.") { folder, json, errors };
        command.SetHandler((parseResult, _) =>
        {
            using var cache = EmbeddingCache.Open(parseResult.GetValue(folder)!);
            var summary = CacheSummary.Of(cache);
            if (parseResult.GetValue(json)) WriteJson(summary);
            else WriteText(summary, parseResult.GetValue(errors));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteText(CacheSummary s, int errorLines)
    {
        var c = CultureInfo.InvariantCulture;
        var m = s.Manifest;
        Console.WriteLine($"cache      {s.Directory}");
        Console.WriteLine($"backbone   {m.BackboneName}, feature tensor {m.FeatureTensor}{(m.ModelPath is null ? "" : $" ({m.ModelPath})")}");
        Console.WriteLine(string.Create(c, $"rows       {s.Rows} × {s.Dimension} {m.Fingerprint.DataType} in {s.Parts} part(s), {s.Bytes / 1024.0 / 1024.0:F1} MiB"));
        if (s.RowsByView.Count > 0)
            Console.WriteLine($"views      {string.Join(", ", s.RowsByView.Select(v => $"{v.Name} (id {v.Id}) {v.Rows} rows"))}; " +
                              $"the '{CacheLayout.ViewColumn}' column says which view a row is");
        Console.WriteLine($"fingerprint {m.Fingerprint.Sha256}");
        Console.WriteLine($"           {m.Fingerprint.Json}");
        Console.WriteLine($"created    {m.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", c) ?? "(unknown: the manifest was repaired from parts)"} by {m.CreatedBy}");
        Console.WriteLine($"numerics   {string.Join("; ", m.Numerics.Select(n => n.Describe()))}{(m.HasMixedNumerics ? " — MIXED (extracted with --allow-mixed-numerics)" : "")}");
        if (s.RowsByNumerics.Count > 1 || s.RowsByNumerics.Any(n => n.Numerics.IsUnknown))
            foreach (var n in s.RowsByNumerics) Console.WriteLine(string.Create(c, $"           {n.Rows} rows in {n.Parts} part(s): {n.Numerics.Describe()}"));
        if (s.Groups.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"{"split",-12} {"label",-24} {"rows",8}");
            foreach (var g in s.Groups) Console.WriteLine(string.Create(c, $"{g.Split ?? "-",-12} {g.Label ?? "-",-24} {g.Rows,8}"));
        }
        Console.WriteLine();
        Console.WriteLine(s.Errors.Count == 0 ? "errors     none" : $"errors     {s.Errors.Count}: {string.Join(", ", s.ErrorsByReason.Select(r => $"{r.Reason} {r.Rows}"))}");
        foreach (var e in s.Errors.Take(errorLines)) Console.WriteLine($"  {e.Id} [{e.Reason}] {e.Message}");
        if (s.Errors.Count > errorLines) Console.WriteLine($"  … {s.Errors.Count - errorLines} more (--errors N, or --json for all)");
    }

    private static void WriteJson(CacheSummary s) => CliJson.Print(new InfoJson(s.Directory, s.Manifest.BackboneName, s.Manifest.FeatureTensor,
        s.Rows, s.Dimension, s.Manifest.Fingerprint.DataType, s.Parts, s.ErrorParts, s.Bytes, s.Manifest.Fingerprint.Sha256,
        new RawJson(s.Manifest.Fingerprint.Json), s.Manifest.CreatedBy, s.Manifest.Numerics, s.Manifest.HasMixedNumerics, s.RowsByNumerics,
        s.Groups, s.ErrorsByReason.ToDictionary(r => r.Reason, r => r.Rows), s.Errors, s.RowsByView.Count > 0 ? s.RowsByView : null), CliJson.Default.InfoJson);

    /// <summary><c>cache info --json</c>: the summary's records as they are, plus the manifest's facts.</summary>
    internal sealed record InfoJson(string Cache, string Backbone, string FeatureTensor, int Rows, int Dim, string Dtype, int Parts,
        int ErrorParts, long Bytes, string FingerprintSha256, RawJson Fingerprint, string CreatedBy, IReadOnlyList<EmbeddingNumerics> Numerics,
        bool MixedNumerics, IReadOnlyList<NumericsCount> RowsByNumerics, IReadOnlyList<GroupCount> Groups,
        Dictionary<string, int> ErrorsByReason, IReadOnlyList<ErrorRow> Errors, IReadOnlyList<ViewCount>? Views);
}
