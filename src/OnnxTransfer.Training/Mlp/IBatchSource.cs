using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Where the MLP's mini-batches come from: an epoch is started, then batches of preprocessed rows and their class
/// indices are copied out until the epoch ends: from rows in memory, or streamed (<see cref="StreamedBatchSource"/>,
/// shuffling row groups and rows within a window). Disposing releases a streamed source's open part.
/// </summary>
internal interface IBatchSource : IDisposable
{
    int Dimension { get; }

    int RowCount { get; }

    /// <summary>Begins epoch <paramref name="epoch"/> (0-based) in a seed-determined order.</summary>
    void StartEpoch(int epoch);

    /// <summary>Copies up to <paramref name="maxRows"/> rows; returns how many (0 when the epoch is over).</summary>
    int NextBatch(float[] features, int[] labels, int maxRows);
}

/// <summary>
/// Preprocessed rows in memory, reshuffled every epoch with a seed-derived stream; an epoch visits the rows in the order
/// <see cref="FillOrder"/> writes (a subclass may draw rows instead, see <see cref="BalancedBatchSource"/>).
/// </summary>
internal class InMemoryBatchSource(float[] features, int[] labels, int dimension, int seed) : IBatchSource
{
    private readonly int[] _order = Enumerable.Range(0, labels.Length).ToArray();
    private int _position;

    public int Dimension => dimension;

    public int RowCount => labels.Length;

    protected int Seed => seed;

    public void StartEpoch(int epoch)
    {
        FillOrder(epoch, _order);
        _position = 0;
    }

    /// <summary>The rows epoch <paramref name="epoch"/> visits, in order (here: every row once, shuffled).</summary>
    protected virtual void FillOrder(int epoch, int[] order)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        DeterministicRandom.For(seed, 0xE90C00UL + (ulong)epoch).Shuffle(order.AsSpan());
    }

    public int NextBatch(float[] batchFeatures, int[] batchLabels, int maxRows)
    {
        int rows = Math.Min(maxRows, _order.Length - _position);
        for (int i = 0; i < rows; i++)
        {
            int row = _order[_position + i];
            Array.Copy(features, (long)row * dimension, batchFeatures, (long)i * dimension, dimension);
            batchLabels[i] = labels[row];
        }
        _position += rows;
        return rows;
    }

    public void Dispose()
    {
    }
}
