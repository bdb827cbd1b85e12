using System.Security.Cryptography;
using System.Text;
using OnnxTransfer.Features.Cache;

namespace OnnxTransfer.Inference.Verification;

/// <summary>
/// A deterministic sample of cache rows spread over their (split, label) groups: each group gets a share in proportion
/// to its size and at least one row when the sample is large enough, so a rare class is never left out. Within a group
/// rows are ranked by sha256(seed, id): the same seed picks the same rows, and rows added to the cache later do not
/// reshuffle the ones already picked.
/// </summary>
public static class StratifiedSample
{
    /// <returns>At most <paramref name="size"/> rows, grouped by (split, label) in ordinal order, each group in rank order.</returns>
    public static IReadOnlyList<CachedRow> Pick(IReadOnlyList<CachedRow> rows, int size, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var groups = rows.GroupBy(r => (r.Split ?? "", r.Label ?? ""))
            .OrderBy(g => g.Key.Item1, StringComparer.Ordinal).ThenBy(g => g.Key.Item2, StringComparer.Ordinal)
            .Select(g => g.OrderBy(r => Rank(seed, r.Id), StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToArray())
            .ToArray();
        if (size >= rows.Count) return groups.SelectMany(g => g).ToArray();

        var shares = new int[groups.Length];
        if (size < groups.Length)
        {
            // Fewer rows than groups: one row from each of `size` groups, the groups chosen by the seed too.
            foreach (var g in Enumerable.Range(0, groups.Length).OrderBy(g => Rank(seed, groups[g][0].Id), StringComparer.Ordinal).Take(size))
                shares[g] = 1;
        }
        else
        {
            // One per group, the rest by largest remainder of the groups' remaining sizes.
            Array.Fill(shares, 1);
            var left = size - groups.Length;
            var remaining = rows.Count - groups.Length;
            var exact = groups.Select(g => remaining == 0 ? 0.0 : (double)left * (g.Length - 1) / remaining).ToArray();
            for (var g = 0; g < groups.Length; g++) shares[g] += (int)Math.Floor(exact[g]);
            var missing = size - shares.Sum();
            foreach (var g in Enumerable.Range(0, groups.Length).OrderByDescending(g => exact[g] - Math.Floor(exact[g])).ThenBy(g => g))
            {
                if (missing == 0) break;
                if (shares[g] < groups[g].Length) { shares[g]++; missing--; }
            }
        }
        var picked = new List<CachedRow>(size);
        for (var g = 0; g < groups.Length; g++) picked.AddRange(groups[g].Take(Math.Min(shares[g], groups[g].Length)));
        return picked;
    }

    private static string Rank(int seed, string id) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{id}")));
}
