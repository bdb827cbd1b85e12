using System.Runtime.InteropServices;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Cli.Tests;

/// <summary>What a sharded extraction must leave: the unsharded run's rows, byte for byte (the CLI and Slurm tests).</summary>
internal static class ShardedCacheAssert
{
    /// <summary>The same ids with the same source, label, split and embedding bytes; no row missing or repeated.</summary>
    public static void SameRows(string expectedCache, string actualCache)
    {
        CachedEmbeddings expected, actual;
        using (var cache = EmbeddingCache.Open(expectedCache)) expected = cache.ReadEmbeddings();
        using (var cache = EmbeddingCache.Open(actualCache)) actual = cache.ReadEmbeddings();
        Assert.That(actual.Ids, Is.Unique);
        Assert.That(actual.Ids.Order(StringComparer.Ordinal), Is.EqualTo(expected.Ids.Order(StringComparer.Ordinal)));
        var index = expected.IndexById();
        for (var i = 0; i < actual.Count; i++)
        {
            var j = index[actual.Ids[i]];
            Assert.That((actual.Sources[i], actual.Labels[i], actual.Splits[i]), Is.EqualTo((expected.Sources[j], expected.Labels[j], expected.Splits[j])));
            Assert.That(MemoryMarshal.AsBytes(actual.Row(i)).SequenceEqual(MemoryMarshal.AsBytes(expected.Row(j))), Is.True, $"embedding of {actual.Ids[i]}");
        }
        Assert.That(actual.Ids.Select(id => new ShardSpec(0, 4).Contains(id) ? 0 : 1).Distinct().Count(), Is.EqualTo(2), "the ids spread over the shards");
    }
}
