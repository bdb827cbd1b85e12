using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Cache;

/// <summary>
/// Which views a continuing extraction works under (<c>extract --views</c>). A cache is made with views or without
/// them for life (its parts have the view column or not), so the two are never mixed: views asked of a cache without
/// them are refused. A run that names no views continues a cache with views under the cache's own; a run naming views
/// the cache lacks adds them to the manifest (before any part), and the run computes exactly the missing rows.
/// </summary>
internal static class CacheViewAdmission
{
    public static CacheManifest Admit(string directory, string manifestPath, CacheManifest existing, CacheManifest requested)
    {
        Check(directory, existing.Views);
        if (requested.Views is not { } wanted) return existing;
        if (existing.Views is not { } held)
            throw new CacheException(
                $"'{directory}' was extracted without views: its rows have no '{CacheLayout.ViewColumn}' column, so views ({CacheView.Describe(wanted)}) " +
                "cannot be added to it (a cache with views is never mixed with one without). Extract with --views into a new cache folder " +
                "(the original view is computed again there), or leave --views out to continue this cache.");
        foreach (var view in wanted)
            if (held.FirstOrDefault(v => v.Id == view.Id) is { } same && same.Name != view.Name)
                throw new CacheException($"'{directory}' records view {view.Id} as '{same.Name}', this version as '{view.Name}': the cache was made by " +
                                         "another version of OnnxTransfer. Extract into a new cache folder.");
        var added = wanted.Where(v => held.All(h => h.Id != v.Id)).ToArray();
        if (added.Length == 0) return existing;
        var grown = existing with { Views = [.. held.Concat(added).OrderBy(v => v.Id)] };
        grown.Write(manifestPath);
        return grown;
    }

    /// <summary>Every view a cache records must be one this version can compute (else a resumed run could not fill it).</summary>
    public static void Check(string directory, IReadOnlyList<CacheView>? views)
    {
        foreach (var view in views ?? [])
            if (InputView.FindById(view.Id) is not { } known || known.Name != view.Name)
                throw new CacheException($"'{directory}' holds view {view.Id} '{view.Name}', which this version of OnnxTransfer does not know " +
                                         $"(it knows {string.Join(", ", InputView.Known.Select(v => $"{v.Id} '{v.Name}'"))}); update OnnxTransfer to extend this cache.");
    }
}
