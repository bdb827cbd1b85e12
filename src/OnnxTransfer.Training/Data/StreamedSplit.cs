using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// A split that is read from its Parquet parts on every pass instead of being loaded: for embeddings larger than the
/// memory budget. Only the labels (4 bytes per row) stay in memory; features come in chunks of <see cref="ChunkRows"/>
/// rows (whole multiples of the trainer's blocks), read in dataset order on a background thread while the previous
/// chunk is computed on.
/// </summary>
public sealed class StreamedSplit : TrainingData
{
    private readonly int[] _labels;
    private readonly string[] _classes;

    private readonly int[]? _groups;

    internal StreamedSplit(RowSelection selection, string[] classes, int[] labels, int chunkRows, PassCounter? passes = null, int[]? groups = null)
    {
        _groups = groups;
        _passes = passes ?? new PassCounter();
        Selection = selection;
        _classes = classes;
        _labels = labels;
        ChunkRows = chunkRows;
    }

    internal RowSelection Selection { get; }

    public EmbeddingDataset Dataset => Selection.Dataset;

    public override string Name => Selection.Name;

    public override int Count => _labels.Length;

    public override int Dimension => Dataset.Dimension;

    public override IReadOnlyList<string> Classes => _classes;

    public override bool IsStreamed => true;

    /// <summary>Rows per chunk read at a time (a multiple of 2048); two chunk buffers and one row group are in memory.</summary>
    public int ChunkRows { get; }

    /// <summary>Bytes of features this split would take loaded.</summary>
    public long FeatureBytes => (long)Count * Dimension * sizeof(float);

    /// <summary>Passes made over the parts so far (statistics, objective evaluations, epochs…), by this split and the
    /// parts carved from it (early-stopping hold-out, folds).</summary>
    public int Passes => _passes.Count;

    private readonly PassCounter _passes;

    internal sealed class PassCounter
    {
        private int _count;

        public int Count => _count;

        public void Add() => Interlocked.Increment(ref _count);
    }

    internal override int[]? GroupArray => _groups;

    internal override LabelledRows Labelled => new(Name, _classes, Dimension, _labels, _groups);

    internal override int[] LabelArray => _labels;

    /// <summary>The rows, re-read and preprocessed chunk by chunk on every pass.</summary>
    internal override IRowChunks Rows(FeaturePreprocessing preprocessing, ComputeContext context, bool ownsFeatures = false) =>
        new StreamedChunks(this, preprocessing, context);

    /// <summary>Batches shuffled within a window of <see cref="ChunkRows"/> rows (see <see cref="StreamedBatchSource"/>).</summary>
    internal override IBatchSource Batches(FeaturePreprocessing preprocessing, int seed, int batchRows, ComputeContext context, bool ownsFeatures) =>
        new StreamedBatchSource(this, preprocessing, seed, ChunkRows, batchRows);

    internal void CountPass() => _passes.Add();

    /// <summary>The rows at the given positions (ascending) as another streamed split with the same classes.</summary>
    internal override StreamedSplit Subset(ReadOnlySpan<int> positions, string name)
    {
        var labels = new int[positions.Length];
        int[]? groups = _groups is null ? null : new int[positions.Length];
        for (int i = 0; i < positions.Length; i++)
        {
            labels[i] = _labels[positions[i]];
            if (groups is not null) groups[i] = _groups![positions[i]];
        }
        return new StreamedSplit(Selection.Subset(positions, name), _classes, labels, ChunkRows, _passes, groups);
    }

    public override StreamedSplit WithClasses(IReadOnlyList<string> classes)
    {
        if (classes.SequenceEqual(_classes, StringComparer.Ordinal)) return this;
        var target = classes.ToArray();
        return new StreamedSplit(Selection, target, Dataset.ClassIndices(Selection, target), ChunkRows, _passes, _groups);
    }

    /// <summary>
    /// Checks one row group's rows as read (one vectorised pass; a non-finite value is then looked for row by row and
    /// named with the row's id).
    /// </summary>
    /// <param name="values">Rows <paramref name="from"/>… of the group's selected rows.</param>
    internal void CheckFinite(ReadOnlySpan<float> values, SelectedGroup group, int from = 0)
    {
        if (float.IsFinite(TensorPrimitives.Sum(values))) return;
        int d = Dimension;
        for (int i = 0; i < values.Length / d; i++)
        {
            var row = values.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                if (float.IsFinite(row[j])) continue;
                throw new TrainingDataException(
                    $"Split '{Name}', {Dataset.DescribeRow(group.Entry, group.RowAt(from + i))}: embedding element {j} is {row[j]}. " +
                    "Embeddings must be finite; re-extract this item or drop the row.", Name, group.Offset + from + i);
            }
        }
    }

    /// <summary>Chunk rows for a chunk of about <paramref name="chunkBytes"/>: a multiple of the alignment, at least one.</summary>
    internal static int ChunkRowsFor(long chunkBytes, int dimension)
    {
        long rows = chunkBytes / ((long)dimension * sizeof(float));
        long aligned = Math.Max(1, rows / IRowChunks.ChunkAlignment) * IRowChunks.ChunkAlignment;
        return (int)Math.Min(aligned, int.MaxValue / Math.Max(1, dimension) / IRowChunks.ChunkAlignment * IRowChunks.ChunkAlignment);
    }
}
