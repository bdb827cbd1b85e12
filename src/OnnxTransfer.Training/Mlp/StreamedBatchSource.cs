using OnnxTransfer.Parquet;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Mlp;

/// <summary>
/// Mini-batches from a streamed split, for splits larger than memory. Randomness, all from the seed: each epoch visits
/// the split's row groups in an order drawn from the stream (seed, epoch); rows are gathered into a shuffle window of
/// at least <c>windowRows</c> rows (whole row groups) and drawn from it in a permutation from the stream (seed, epoch,
/// window); rows left over when a window runs low (fewer than a batch) move into the next window. So a batch mixes rows
/// of every row group in its window: when row groups are sorted by class (an extractor walking class folders writes
/// them so), a window spanning many row groups is what keeps batches mixed — the in-memory source's full shuffle is the
/// limit of a window as large as the split.
/// </summary>
internal sealed class StreamedBatchSource : IBatchSource
{
    private readonly StreamedSplit _split;
    private readonly FeaturePreprocessing _preprocessing;
    private readonly int _seed, _windowRows, _dimension;
    private readonly int[] _groupOrder;
    private float[] _window, _spare;
    private int[] _windowLabels, _spareLabels;
    private int[] _permutation;
    private int _windowCount, _position, _nextGroup, _epoch, _refills;
    private ParquetFileReader? _reader;

    public StreamedBatchSource(StreamedSplit split, FeaturePreprocessing preprocessing, int seed, int windowRows, int batchRows)
    {
        _split = split;
        _preprocessing = preprocessing;
        _seed = seed;
        _dimension = split.Dimension;
        _windowRows = Math.Max(1, Math.Min(windowRows, split.Count));
        _groupOrder = new int[split.Selection.Groups.Length];
        int largestGroup = split.Selection.Groups.Max(g => g.Count);
        // A window holds fewer than a batch of carried rows, up to windowRows rows, and the row group that crosses the mark.
        int capacity = (int)Math.Min(split.Count, (long)_windowRows + largestGroup + batchRows);
        _window = GC.AllocateUninitializedArray<float>(capacity * _dimension);
        _spare = GC.AllocateUninitializedArray<float>(capacity * _dimension);
        _windowLabels = new int[capacity];
        _spareLabels = new int[capacity];
        _permutation = new int[capacity];
    }

    public int Dimension => _dimension;

    public int RowCount => _split.Count;

    public void StartEpoch(int epoch)
    {
        _split.CountPass();
        _epoch = epoch;
        for (int i = 0; i < _groupOrder.Length; i++) _groupOrder[i] = i;
        DeterministicRandom.For(_seed, 0x5EA4C0000UL + (ulong)epoch).Shuffle(_groupOrder.AsSpan());
        _nextGroup = 0;
        _windowCount = 0;
        _position = 0;
        _refills = 0;
    }

    public int NextBatch(float[] features, int[] labels, int maxRows)
    {
        if (_windowCount - _position < maxRows && _nextGroup < _groupOrder.Length) Refill();
        int rows = Math.Min(maxRows, _windowCount - _position);
        int d = _dimension;
        for (int i = 0; i < rows; i++)
        {
            int row = _permutation[_position + i];
            Array.Copy(_window, (long)row * d, features, (long)i * d, d);
            labels[i] = _windowLabels[row];
        }
        _position += rows;
        return rows;
    }

    /// <summary>Carries the unread rows over, loads row groups until the window is full, and draws a new permutation.</summary>
    private void Refill()
    {
        int d = _dimension, count = 0;
        for (int i = _position; i < _windowCount; i++, count++)
        {
            int row = _permutation[i];
            Array.Copy(_window, (long)row * d, _spare, (long)count * d, d);
            _spareLabels[count] = _windowLabels[row];
        }
        int carried = count;
        var dataset = _split.Dataset;
        while (_nextGroup < _groupOrder.Length && count < _windowRows)
        {
            var group = _split.Selection.Groups[_groupOrder[_nextGroup]];
            if (count + group.Count > _spare.Length / d) break;
            _nextGroup++;
            var entry = dataset.Groups[group.Entry];
            if (_reader is null || _reader.Path != dataset.Parts[entry.Part])
            {
                _reader?.Dispose();
                _reader = ParquetFileReader.Open(dataset.Parts[entry.Part], dataset.ReaderOptions);
            }
            var destination = _spare.AsSpan(count * d, group.Count * d);
            dataset.ReadEmbeddings(_reader.OpenRowGroup(entry.RowGroup), group, destination);
            _split.CheckFinite(destination, group);
            var labels = _split.LabelIndices;
            for (int i = 0; i < group.Count; i++) _spareLabels[count + i] = labels[group.Offset + i];
            count += group.Count;
        }
        // Only the newly read rows need preprocessing; carried rows were preprocessed when they were read.
        var loaded = _spare.AsSpan(carried * d, (count - carried) * d);
        if (!_preprocessing.IsIdentity) _preprocessing.Apply(loaded, loaded, count - carried, d);
        (_window, _spare) = (_spare, _window);
        (_windowLabels, _spareLabels) = (_spareLabels, _windowLabels);
        _windowCount = count;
        _position = 0;
        for (int i = 0; i < count; i++) _permutation[i] = i;
        DeterministicRandom.For(_seed, 0x5EA4D0000UL + ((ulong)_epoch << 20) + (ulong)_refills++).Shuffle(_permutation.AsSpan(0, count));
    }

    public void Dispose() => _reader?.Dispose();
}
