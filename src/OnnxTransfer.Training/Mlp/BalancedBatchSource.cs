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
internal sealed class BalancedBatchSource : InMemoryBatchSource
{
    private readonly int[][] _rowsOfClass;

    private BalancedBatchSource(float[] features, int[] labels, int classes, int dimension, int seed) : base(features, labels, dimension, seed)
    {
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

    protected override void FillOrder(int epoch, int[] order)
    {
        var random = DeterministicRandom.For(Seed, 0xBA1A0CEUL + (ulong)epoch);
        int classes = _rowsOfClass.Length, each = order.Length / classes, extra = order.Length % classes;
        var classOrder = Enumerable.Range(0, classes).ToArray();
        random.Shuffle(classOrder.AsSpan());
        int position = 0;
        for (int k = 0; k < classes; k++)
        {
            var rows = _rowsOfClass[classOrder[k]];
            int draws = each + (k < extra ? 1 : 0);
            for (int i = 0; i < draws; i++) order[position++] = rows[random.NextInt(rows.Length)];
        }
        random.Shuffle(order.AsSpan());
    }
}
