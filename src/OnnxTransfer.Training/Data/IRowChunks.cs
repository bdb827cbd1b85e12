namespace OnnxTransfer.Training.Data;

/// <summary>
/// Feature rows visited in a fixed order, chunk by chunk: one chunk for rows in memory, a run of chunks for rows
/// streamed from Parquet. Every chunk but the last holds a multiple of <see cref="ChunkAlignment"/> rows, so the row
/// blocks the trainer cuts work into (256 rows for statistics, 2048 for the softmax objective) never straddle two
/// chunks: streamed and in-memory passes do the same float operations in the same order and give the same bits.
/// </summary>
internal interface IRowChunks
{
    /// <summary>Chunks hold whole multiples of this many rows (all but the last).</summary>
    const int ChunkAlignment = 2048;

    int Count { get; }

    int Dimension { get; }

    /// <summary>The most rows one chunk holds (sizes per-chunk scratch).</summary>
    int MaxChunkRows { get; }

    /// <summary>
    /// Calls <paramref name="body"/>(features, firstRow, rows) for each chunk in order; <c>features</c> holds the chunk's
    /// rows row-major from index 0 and is valid (read only) until the call returns.
    /// </summary>
    void ForEach(Action<float[], int, int> body);
}

/// <summary>Rows already in one buffer: a single chunk.</summary>
internal sealed class InMemoryRows(float[] features, int count, int dimension) : IRowChunks
{
    public float[] Features => features;

    public int Count => count;

    public int Dimension => dimension;

    public int MaxChunkRows => count;

    public void ForEach(Action<float[], int, int> body) => body(features, 0, count);
}

/// <summary>The label side of a training split — what a trainer needs besides the features, which may be streamed.</summary>
/// <param name="Groups">With views: per row, the input it is a view of (rows of one input are held out together); null: every row its own input.</param>
internal sealed record LabelledRows(string Name, IReadOnlyList<string> Classes, int Dimension, int[] Labels, int[]? Groups = null)
{
    public int Count => Labels.Length;

    public int[] CountPerClass()
    {
        var counts = new int[Classes.Count];
        foreach (var label in Labels) counts[label]++;
        return counts;
    }
}
