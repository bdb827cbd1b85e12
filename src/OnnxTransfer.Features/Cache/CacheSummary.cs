using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Cache;

/// <summary>Rows of one split and label.</summary>
public sealed record GroupCount(string? Split, string? Label, int Rows);

/// <summary>Embedding rows computed with one numerics (read from the parts' own metadata).</summary>
public sealed record NumericsCount(EmbeddingNumerics Numerics, int Rows, int Parts);

/// <summary>Embedding rows of one view (a cache with views).</summary>
public sealed record ViewCount(int Id, string Name, int Rows);

/// <summary>Error rows with one reason code.</summary>
public sealed record ReasonCount(string Reason, int Rows);

/// <summary>
/// What a cache holds, for <c>onnxtransfer cache info</c>: rows per split and label, dimension, fingerprint, errors and
/// their reasons. Reads only the small columns (never the embeddings).
/// </summary>
public sealed record CacheSummary
{
    public required string Directory { get; init; }
    public required CacheManifest Manifest { get; init; }
    public required int Rows { get; init; }
    public required int Parts { get; init; }
    public required int ErrorParts { get; init; }
    public required long Bytes { get; init; }

    /// <summary>Sorted by split then label (nulls first).</summary>
    public required IReadOnlyList<GroupCount> Groups { get; init; }

    /// <summary>Sorted by count, largest first.</summary>
    public required IReadOnlyList<ReasonCount> ErrorsByReason { get; init; }

    public required IReadOnlyList<ErrorRow> Errors { get; init; }

    /// <summary>Rows per numerics as the parts record them, most rows first (parts from before numerics were recorded: unknown).</summary>
    public IReadOnlyList<NumericsCount> RowsByNumerics { get; init; } = [];

    /// <summary>A cache with views: rows per view, in view id order (a view with fewer rows than the original is still being added); else empty.</summary>
    public IReadOnlyList<ViewCount> RowsByView { get; init; } = [];

    public int Dimension => Manifest.Dimension;

    public static CacheSummary Of(EmbeddingCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var counts = new Dictionary<(string?, string?), int>();
        var rows = 0;
        long bytes = 0;
        var byNumerics = new List<(EmbeddingNumerics Numerics, int Rows, int Parts)>();
        var byView = new SortedDictionary<int, int>();
        foreach (var view in cache.Manifest.Views ?? []) byView[view.Id] = 0;
        var parts = cache.PartFiles();
        foreach (var file in parts)
        {
            bytes += new FileInfo(file).Length;
            using var reader = cache.OpenPart(file); // checksum and fingerprint checked: a damaged part is refused, not counted
            var numerics = CachePartMetadata.Read(reader).Numerics;
            var at = byNumerics.FindIndex(n => n.Numerics == numerics);
            if (at < 0) byNumerics.Add((numerics, 0, 0));
            at = at < 0 ? byNumerics.Count - 1 : at;
            var partRows = 0;
            for (var g = 0; g < reader.RowGroupCount; g++) partRows += reader.RowGroupRowCount(g);
            byNumerics[at] = (numerics, byNumerics[at].Rows + partRows, byNumerics[at].Parts + 1);
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var group = reader.OpenRowGroup(g);
                var labels = group.ReadStrings(CacheLayout.LabelColumn);
                var splits = group.ReadStrings(CacheLayout.SplitColumn);
                if (cache.Manifest.HasViews)
                    foreach (var view in group.ReadValues<int>(CacheLayout.ViewColumn)) byView[view] = byView.GetValueOrDefault(view) + 1;
                for (var i = 0; i < labels.Length; i++)
                {
                    var key = (splits[i], labels[i]);
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
                rows += labels.Length;
            }
        }
        var errorParts = cache.ErrorPartFiles();
        foreach (var file in errorParts) bytes += new FileInfo(file).Length;
        var errors = cache.ReadErrors();
        return new CacheSummary
        {
            Directory = cache.Directory,
            Manifest = cache.Manifest,
            Rows = rows,
            Parts = parts.Count,
            ErrorParts = errorParts.Count,
            Bytes = bytes,
            Groups = counts.Select(c => new GroupCount(c.Key.Item1, c.Key.Item2, c.Value))
                .OrderBy(g => g.Split, StringComparer.Ordinal).ThenBy(g => g.Label, StringComparer.Ordinal).ToArray(),
            ErrorsByReason = errors.GroupBy(e => e.Reason, StringComparer.Ordinal)
                .Select(g => new ReasonCount(g.Key, g.Count()))
                .OrderByDescending(r => r.Rows).ThenBy(r => r.Reason, StringComparer.Ordinal).ToArray(),
            Errors = errors,
            RowsByView = byView.Select(v => new ViewCount(v.Key, cache.Manifest.Views!.FirstOrDefault(m => m.Id == v.Key)?.Name ?? $"view {v.Key}", v.Value)).ToArray(),
            RowsByNumerics = byNumerics.OrderByDescending(n => n.Rows).Select(n => new NumericsCount(n.Numerics, n.Rows, n.Parts)).ToArray(),
        };
    }
}
