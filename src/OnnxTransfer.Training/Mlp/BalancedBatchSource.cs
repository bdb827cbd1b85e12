using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Class-balanced mini-batches (<see cref="MlpSettings.BalancedSampling"/>): every epoch draws as many rows as the split
/// holds, the same number from each class (the remainder spread over the first classes of a seeded class order), rows
/// drawn with replacement within their class, then shuffled. In expectation each class contributes equally to every
/// step, as PyTorch's <c>WeightedRandomSampler</c> with inverse class frequencies; unlike class weights, the rare class's
/// rows are seen more often instead of counting more, so the step size stays that of an ordinary batch.
/// </summary>
internal sealed class BalancedBatchSource : IBatchSource
{
    private readonly float[] _features;
    private readonly int[] _labels, _order;
    private readonly int[][] _rowsOfClass;
    private readonly int _dimension, _seed;
    private int _position;

    private BalancedBatchSource(float[] features, int[] labels, int classes, int dimension, int seed)
    {
        _features = features;
        _labels = labels;
        _dimension = dimension;
        _seed = seed;
        _order = new int[labels.Length];
        var rows = new List<int>[classes];
        for (int c = 0; c < classes; c++) rows[c] = [];
        for (int i = 0; i < labels.Length; i++) rows[labels[i]].Add(i);
        _rowsOfClass = rows.Where(r => r.Count > 0).Select(r => r.ToArray()).ToArray();
    }

    /// <summary>A balanced source over an in-memory split; a streamed one is refused (its rows cannot be drawn at will).</summary>
    /// <exception cref="TrainingDataException">The split is streamed.</exception>
    public static BalancedBatchSource Create(TrainingData split, FeaturePreprocessing preprocessing, int seed, ComputeContext context, bool ownsFeatures)
    {
        if (split is not EmbeddingSet set)
            throw new TrainingDataException(
                $"Balanced sampling draws rows at random and needs split '{split.Name}' in memory, but it is streamed (larger than the memory budget); " +
                "balance with class weights instead, or raise the memory budget.", split.Name);
        return new BalancedBatchSource(preprocessing.Transform(set, context, overwrite: ownsFeatures), set.LabelArray, set.Classes.Count, set.Dimension, seed);
    }

    public int Dimension => _dimension;

    public int RowCount => _labels.Length;

    public void StartEpoch(int epoch)
    {
        var random = DeterministicRandom.For(_seed, 0xBA1A0CEUL + (ulong)epoch);
        int classes = _rowsOfClass.Length, n = _order.Length, each = n / classes, extra = n % classes;
        var classOrder = Enumerable.Range(0, classes).ToArray();
        random.Shuffle(classOrder.AsSpan());
        int position = 0;
        for (int k = 0; k < classes; k++)
        {
            var rows = _rowsOfClass[classOrder[k]];
            int draws = each + (k < extra ? 1 : 0);
            for (int i = 0; i < draws; i++) _order[position++] = rows[random.NextInt(rows.Length)];
        }
        random.Shuffle(_order.AsSpan());
        _position = 0;
    }

    public int NextBatch(float[] batchFeatures, int[] batchLabels, int maxRows)
    {
        int rows = Math.Min(maxRows, _order.Length - _position);
        for (int i = 0; i < rows; i++)
        {
            int row = _order[_position + i];
            Array.Copy(_features, (long)row * _dimension, batchFeatures, (long)i * _dimension, _dimension);
            batchLabels[i] = _labels[row];
        }
        _position += rows;
        return rows;
    }

    public void Dispose()
    {
    }
}
