using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Cache;

/// <summary>
/// Whether the extraction that fills a cache finished (docs/formats.md, "Completion"). A run writes
/// <c>_INCOMPLETE[.shard-K-of-N]</c> (JSON: the inputs it has to do) before its first part and, once every input of its
/// shard is embedded or an error row, <c>_SUCCESS[.shard-K-of-N]</c>, then deletes the first. A cache is complete when
/// no <c>_INCOMPLETE*</c> is left and either <c>_SUCCESS</c> or all N <c>_SUCCESS.shard-K-of-N</c> of one N exist; the
/// trainer warns (or, with <c>--require-complete</c>, refuses) otherwise. Caches from before these markers (no
/// <see cref="CacheManifest.PartChecksums"/>) have unknown completion.
/// </summary>
public sealed record CacheCompletion(bool? IsComplete, string Explanation)
{
    public const string SuccessMarker = "_SUCCESS";
    public const string IncompleteMarker = "_INCOMPLETE";

    public static CacheCompletion Read(EmbeddingCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var directory = cache.Directory;
        var unfinished = Directory.EnumerateFiles(directory, IncompleteMarker + "*").Order(StringComparer.Ordinal).ToArray();
        if (unfinished.Length > 0)
        {
            var runs = unfinished.Select(file => Describe(file)).ToArray();
            return new CacheCompletion(false, $"{string.Join("; ", runs)} did not finish");
        }
        if (File.Exists(Path.Combine(directory, SuccessMarker))) return new CacheCompletion(true, "the extraction finished");
        var shards = Directory.EnumerateFiles(directory, SuccessMarker + ".shard-*")
            .Select(f => CacheLayout.ParsePartName($"part-0.{Path.GetFileName(f)[(SuccessMarker.Length + 1)..]}.parquet")?.Shard)
            .OfType<ShardSpec>()
            .GroupBy(s => s.Count)
            .ToArray();
        if (shards.FirstOrDefault(g => g.Select(s => s.Index).Distinct().Count() == g.Key) is { } done)
            return new CacheCompletion(true, $"all {done.Key} shards of the extraction finished");
        if (shards.Length > 0)
        {
            var group = shards.OrderByDescending(g => g.Count()).First();
            var missing = Enumerable.Range(0, group.Key).Except(group.Select(s => s.Index)).Select(k => $"{k}/{group.Key}");
            return new CacheCompletion(false, $"shard(s) {string.Join(", ", missing)} of the extraction never finished");
        }
        return cache.Manifest.PartChecksums
            ? new CacheCompletion(false, "no extraction into it has finished")
            : new CacheCompletion(null, "it was written by an older OnnxTransfer, which did not record whether its extraction finished");
    }

    internal static void MarkStarted(EmbeddingCache cache, int inputs, int alreadyDone)
    {
        var tag = Tag(cache.Shard);
        WriteJson(Path.Combine(cache.Directory, IncompleteMarker + tag), cache.Shard, inputs, alreadyDone);
        File.Delete(Path.Combine(cache.Directory, SuccessMarker + tag));
    }

    internal static void MarkComplete(EmbeddingCache cache, int inputs, int done)
    {
        var tag = Tag(cache.Shard);
        WriteJson(Path.Combine(cache.Directory, SuccessMarker + tag), cache.Shard, inputs, done);
        File.Delete(Path.Combine(cache.Directory, IncompleteMarker + tag));
    }

    internal static void DeleteMarkers(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, SuccessMarker + "*").Concat(Directory.EnumerateFiles(directory, IncompleteMarker + "*")))
            File.Delete(file);
    }

    private static string Tag(ShardSpec shard) => shard.IsAll ? "" : "." + shard.FileTag;

    /// <summary>"the extraction of shard 1/4 (98 inputs, 40 done when it started)", from an _INCOMPLETE marker.</summary>
    private static string Describe(string marker)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(marker));
            var root = json.RootElement;
            var shard = root.GetProperty("shard").GetString();
            var inputs = root.GetProperty("inputs").GetInt32();
            return string.Create(CultureInfo.InvariantCulture,
                $"the extraction of {(shard == "0/1" ? "its" : $"shard {shard}'s")} {inputs} inputs ({Path.GetFileName(marker)})");
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException)
        {
            return $"an extraction ({Path.GetFileName(marker)})";
        }
    }

    private static void WriteJson(string path, ShardSpec shard, int inputs, int done)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("shard", shard.ToString());
            w.WriteNumber("inputs", inputs);
            w.WriteNumber("done", done);
            w.WriteString("at", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temporary, [.. buffer.WrittenSpan, (byte)'\n']);
        File.Move(temporary, path, overwrite: true);
    }
}
