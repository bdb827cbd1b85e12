using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;

namespace OnnxTransfer.Features.Tests;

/// <summary>Runs the pipeline the way the CLI does: inputs, cache opened for writing, run, cache closed.</summary>
internal static class Extract
{
    public static ExtractionSummary Run(string inputs, string cacheDirectory, ExtractionOptions? options = null, ImageBackbone? backbone = null,
        bool newCache = false, IProgress<ExtractionProgress>? progress = null, CancellationToken token = default)
    {
        backbone ??= TestBackbones.MobileNetV2;
        using var cache = EmbeddingCache.OpenForWriting(cacheDirectory, ExtractionPipeline.ManifestFor(backbone), newCache);
        return new ExtractionPipeline(backbone, options).Run(InputSet.Open(inputs), cache, progress, token);
    }

    public static CachedEmbeddings Read(string cacheDirectory)
    {
        using var cache = EmbeddingCache.Open(cacheDirectory);
        return cache.ReadEmbeddings();
    }

    public static IReadOnlyList<ErrorRow> Errors(string cacheDirectory)
    {
        using var cache = EmbeddingCache.Open(cacheDirectory);
        return cache.ReadErrors();
    }

    /// <summary>The two caches hold the same ids, each with byte for byte the same embedding.</summary>
    public static void AssertSameEmbeddings(string expectedCache, string actualCache)
    {
        var expected = BytesById(Read(expectedCache));
        var actual = BytesById(Read(actualCache));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (id, bytes) in expected) Assert.That(actual[id], Is.EqualTo(bytes), id);
    }

    /// <summary>Every embedding as raw bytes per id, for byte-for-byte comparisons between runs.</summary>
    public static Dictionary<string, byte[]> BytesById(CachedEmbeddings rows)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
            result[rows.Ids[i]] = System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.Row(i)).ToArray();
        return result;
    }
}
