using System.Globalization;
using System.Text.Json;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Cli.Commands;

/// <summary>What <c>cache repair</c> prints: where each manifest field came from, what nobody recorded, and the completion.</summary>
internal static class CacheRepairOutput
{
    public static void WriteText(CacheRepairResult r)
    {
        var manifest = Path.Combine(r.Directory, CacheLayout.ManifestFile);
        if (r.WasIntact)
        {
            Console.WriteLine($"intact     {manifest} reads as a manifest: nothing to repair");
            Console.WriteLine($"completion {Completion(r.Completion)}");
            return;
        }
        Console.WriteLine($"repaired   {manifest}");
        Console.WriteLine($"damage     {r.Damage}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"parts      {r.PartsChecked} checked against their checksums and read to the last value ({r.RowsChecked} rows), {r.Damaged.Count} damaged"));
        Console.WriteLine($"fingerprint {r.Manifest.Fingerprint.Sha256}");
        Console.WriteLine($"numerics   {string.Join("; ", r.Manifest.Numerics.Select(n => n.Describe()))}");
        foreach (var (field, source) in r.Sources.OrderBy(s => s.Key, StringComparer.Ordinal))
            Console.WriteLine($"  {field,-24} from {source}");
        if (r.Unrecovered.Count > 0)
            Console.WriteLine($"unrecovered {string.Join(", ", r.Unrecovered)}: recorded neither in the parts nor in what is left of the manifest, so left out (not guessed)");
        Console.WriteLine($"completion {Completion(r.Completion)}");
    }

    public static void WriteJson(CacheRepairResult r)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("cache", r.Directory);
            w.WriteBoolean("repaired", !r.WasIntact);
            if (!r.WasIntact) w.WriteString("damage", r.Damage);
            w.WriteString("fingerprint_sha256", r.Manifest.Fingerprint.Sha256);
            w.WriteNumber("parts_checked", r.PartsChecked);
            w.WriteNumber("rows_checked", r.RowsChecked);
            w.WriteStartObject("sources");
            foreach (var (field, source) in r.Sources.OrderBy(s => s.Key, StringComparer.Ordinal)) w.WriteString(field, source);
            w.WriteEndObject();
            w.WriteStartArray("unrecovered");
            foreach (var field in r.Unrecovered) w.WriteStringValue(field);
            w.WriteEndArray();
            w.WriteStartArray("damaged");
            foreach (var part in r.Damaged)
            {
                w.WriteStartObject();
                w.WriteString("file", part.File);
                w.WriteString("problem", part.Problem);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("completion");
            if (r.Completion.IsComplete is { } complete) w.WriteBoolean("complete", complete);
            else w.WriteNull("complete");
            w.WriteString("explanation", r.Completion.Explanation);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static string Completion(CacheCompletion c) => c.IsComplete switch
    {
        true => $"complete: {c.Explanation} (its _SUCCESS markers say so)",
        false => $"incomplete: {c.Explanation}",
        null => $"unknown: {c.Explanation}",
    };
}
