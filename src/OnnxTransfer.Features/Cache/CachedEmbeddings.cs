namespace OnnxTransfer.Features.Cache;

/// <summary>One embedding row's identity, without its embedding.</summary>
public sealed record CachedRow(string Id, string Source, string? Label, string? Split);

/// <summary>The rows of a cache in memory: columns as arrays, embeddings row-major in one buffer.</summary>
public sealed class CachedEmbeddings(string[] ids, string[] sources, string?[] labels, string?[] splits, float[] values, int dimension)
{
    public string[] Ids { get; } = ids;
    public string[] Sources { get; } = sources;
    public string?[] Labels { get; } = labels;
    public string?[] Splits { get; } = splits;

    /// <summary>Count × <see cref="Dimension"/> floats, row-major.</summary>
    public float[] Values { get; } = values;

    public int Dimension { get; } = dimension;

    /// <summary>The view id of every row when the rows of every view were read (<c>ReadEmbeddingsOfEveryView</c>); else null.</summary>
    public int[]? Views { get; init; }

    public int Count => Ids.Length;

    public ReadOnlySpan<float> Row(int index) => Values.AsSpan(index * Dimension, Dimension);

    /// <summary>The row index of each id.</summary>
    public Dictionary<string, int> IndexById()
    {
        var index = new Dictionary<string, int>(Count, StringComparer.Ordinal);
        for (var i = 0; i < Count; i++) index[Ids[i]] = i;
        return index;
    }
}
