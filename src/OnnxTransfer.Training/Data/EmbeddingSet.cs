using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// One split of labelled embeddings in memory: a contiguous row-major <c>Count × Dimension</c> float buffer, one class
/// index per row into <see cref="Classes"/>, and optional row ids for messages. Labels are strings (as in the embedding
/// cache); the class list is sorted ordinally, so class index i means the same label in every split built from the
/// same list and in the head trained on it. Construction checks everything a trainer would trip over later.
/// </summary>
public sealed class EmbeddingSet : TrainingData
{
    private readonly float[] _features;
    private readonly int[] _labels;
    private readonly string[] _classes;
    private readonly IReadOnlyList<string>? _ids;
    private readonly int[]? _groups;

    private EmbeddingSet(string name, float[] features, int dimension, int[] labels, string[] classes, IReadOnlyList<string>? ids, int[]? groups = null)
    {
        _groups = groups;
        Name = name;
        _features = features;
        Dimension = dimension;
        _labels = labels;
        _classes = classes;
        _ids = ids;
    }

    public override string Name { get; }

    public override int Count => _labels.Length;

    public override int Dimension { get; }

    public override IReadOnlyList<string> Classes => _classes;

    public override bool IsStreamed => false;

    /// <summary>All features, row-major.</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>Row ids (e.g. the cache's <c>id</c> column) when given.</summary>
    public IReadOnlyList<string>? Ids => _ids;

    internal float[] FeatureArray => _features;

    internal override int[] LabelArray => _labels;

    internal override int[]? GroupArray => _groups;

    internal override LabelledRows Labelled => new(Name, _classes, Dimension, _labels, _groups);

    /// <summary>The same rows, each a view of input <paramref name="groups"/>[row] (rows of one input stay together in folds).</summary>
    internal EmbeddingSet WithGroups(int[] groups)
    {
        if (groups.Length != Count) throw new ArgumentException($"{groups.Length} input groups for {Count} rows.", nameof(groups));
        return new EmbeddingSet(Name, _features, Dimension, _labels, _classes, _ids, groups);
    }

    /// <summary>The features preprocessed as one chunk (the split's own buffer, read only, for the identity).</summary>
    internal override IRowChunks Rows(FeaturePreprocessing preprocessing, ComputeContext context, bool ownsFeatures = false) =>
        new InMemoryRows(preprocessing.Transform(this, context, overwrite: ownsFeatures), Count, Dimension);

    internal override IBatchSource Batches(FeaturePreprocessing preprocessing, int seed, int batchRows, ComputeContext context, bool ownsFeatures) =>
        new InMemoryBatchSource(preprocessing.Transform(this, context, overwrite: ownsFeatures), _labels, Dimension, seed);

    internal override EmbeddingSet Subset(ReadOnlySpan<int> positions, string name) => Select(positions, name);

    public ReadOnlySpan<float> Row(int row) => _features.AsSpan(row * Dimension, Dimension);

    public string LabelOf(int row) => _classes[_labels[row]];

    /// <summary>"row 17" or "row 17 (id 'ants/0013.jpg')", for messages.</summary>
    public string DescribeRow(int row) => _ids is null ? $"row {row}" : $"row {row} (id '{_ids[row]}')";

    /// <summary>
    /// Builds a split from features and string labels. <paramref name="features"/> is used as is (not copied): do not
    /// change it afterwards. <paramref name="classes"/> fixes the class list (e.g. every label of the cache, so that
    /// all splits share indices); by default it is the labels that occur, sorted ordinally.
    /// </summary>
    /// <exception cref="TrainingDataException">Empty split, length or dimension mismatch, NaN/Inf (the row is named),
    /// an empty label, or a label missing from <paramref name="classes"/>.</exception>
    public static EmbeddingSet Create(string name, float[] features, int dimension, IReadOnlyList<string> labels,
        IReadOnlyList<string>? classes = null, IReadOnlyList<string>? ids = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A split needs a name (e.g. 'train').", nameof(name));
        if (labels.Count == 0)
            throw new TrainingDataException($"Split '{name}' is empty: it has no rows. Check the split column and filters.", name);
        if (dimension < 1)
            throw new TrainingDataException($"Split '{name}': embedding dimension must be at least 1, got {dimension}.", name);
        if ((long)labels.Count * dimension != features.Length)
            throw new TrainingDataException(
                $"Split '{name}': {features.Length} floats do not hold {labels.Count} rows of dimension {dimension} " +
                $"({(long)labels.Count * dimension} expected). Check that every embedding has the same length.", name);
        if (ids is not null && ids.Count != labels.Count)
            throw new TrainingDataException($"Split '{name}': {ids.Count} ids for {labels.Count} rows.", name);

        var classList = classes is null ? DistinctSorted(labels, name, ids) : CheckClassList(classes, name);
        var index = new Dictionary<string, int>(classList.Length, StringComparer.Ordinal);
        for (int c = 0; c < classList.Length; c++) index[classList[c]] = c;

        var labelIndices = new int[labels.Count];
        for (int row = 0; row < labels.Count; row++)
        {
            var label = labels[row];
            if (string.IsNullOrEmpty(label))
                throw new TrainingDataException($"Split '{name}', {Describe(row, ids)}: the label is empty. Every row needs a label.", name, row);
            if (!index.TryGetValue(label, out labelIndices[row]))
                throw new TrainingDataException(
                    $"Split '{name}', {Describe(row, ids)}: label '{label}' is not in the class list [{string.Join(", ", classList)}]. " +
                    "Labels are matched as strings; if these are class numbers, map them to the label names first.", name, row);
        }

        var set = new EmbeddingSet(name, features, dimension, labelIndices, classList, ids);
        set.CheckFinite();
        return set;
    }

    /// <summary>
    /// Builds a split from class indices into an existing class list (e.g. the labels of a head). Indices are checked;
    /// to avoid mixing up numbers and names, prefer <see cref="Create"/> with string labels.
    /// </summary>
    public static EmbeddingSet FromClassIndices(string name, float[] features, int dimension, ReadOnlySpan<int> classIndices,
        IReadOnlyList<string> classes, IReadOnlyList<string>? ids = null)
    {
        var classList = CheckClassList(classes, name);
        var labels = new string[classIndices.Length];
        for (int row = 0; row < labels.Length; row++)
        {
            int c = classIndices[row];
            if ((uint)c >= (uint)classList.Length)
                throw new TrainingDataException(
                    $"Split '{name}', {Describe(row, ids)}: class index {c} is outside 0..{classList.Length - 1} of [{string.Join(", ", classList)}].", name, row);
            labels[row] = classList[c];
        }
        return Create(name, features, dimension, labels, classList, ids);
    }

    /// <summary>A new split holding copies of the given rows (in that order), with the same class list.</summary>
    public EmbeddingSet Select(ReadOnlySpan<int> rows, string name)
    {
        if (rows.Length == 0) throw new TrainingDataException($"Split '{name}' (taken from '{Name}') would be empty.", name);
        var features = new float[(long)rows.Length * Dimension];
        var labels = new int[rows.Length];
        string[]? ids = _ids is null ? null : new string[rows.Length];
        int[]? groups = _groups is null ? null : new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int row = rows[i];
            Row(row).CopyTo(features.AsSpan(i * Dimension, Dimension));
            labels[i] = _labels[row];
            if (ids is not null) ids[i] = _ids![row];
            if (groups is not null) groups[i] = _groups![row];
        }
        return new EmbeddingSet(name, features, Dimension, labels, _classes, ids, groups);
    }

    /// <summary>The same rows re-indexed against another class list that contains every class occurring here.</summary>
    public override EmbeddingSet WithClasses(IReadOnlyList<string> classes)
    {
        var target = CheckClassList(classes, Name);
        if (target.AsSpan().SequenceEqual(_classes)) return this;
        var index = new Dictionary<string, int>(target.Length, StringComparer.Ordinal);
        for (int c = 0; c < target.Length; c++) index[target[c]] = c;
        var remap = new int[_classes.Length];
        var counts = CountPerClass();
        for (int c = 0; c < _classes.Length; c++)
        {
            if (index.TryGetValue(_classes[c], out var mapped)) remap[c] = mapped;
            else if (counts[c] > 0)
                throw new TrainingDataException(
                    $"Split '{Name}' has {counts[c]} row(s) labelled '{_classes[c]}', which is not one of [{string.Join(", ", target)}]. " +
                    "Labels are matched as strings; if these are class numbers, map them to the label names first.", Name);
            else remap[c] = -1;
        }
        var labels = new int[_labels.Length];
        for (int i = 0; i < labels.Length; i++) labels[i] = remap[_labels[i]];
        return new EmbeddingSet(Name, _features, Dimension, labels, target, _ids, _groups);
    }

    private void CheckFinite()
    {
        var features = _features.AsSpan();
        for (int row = 0; row < Count; row++)
        {
            var values = features.Slice(row * Dimension, Dimension);
            // A sum is non-finite iff some element is (or it overflowed, checked element-wise below): one cheap pass.
            float sum = 0f;
            foreach (var v in values) sum += v * 0f;
            if (float.IsFinite(sum)) continue;
            for (int j = 0; j < values.Length; j++)
            {
                if (!float.IsFinite(values[j]))
                    throw new TrainingDataException(
                        $"Split '{Name}', {DescribeRow(row)}: embedding element {j} is {values[j]}. Embeddings must be finite; " +
                        "re-extract this item or drop the row.", Name, row);
            }
        }
    }

    private static string[] DistinctSorted(IReadOnlyList<string> labels, string name, IReadOnlyList<string>? ids)
    {
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        for (int row = 0; row < labels.Count; row++)
        {
            if (string.IsNullOrEmpty(labels[row]))
                throw new TrainingDataException($"Split '{name}', {Describe(row, ids)}: the label is empty. Every row needs a label.", name, row);
            distinct.Add(labels[row]);
        }
        var list = distinct.ToArray();
        Array.Sort(list, StringComparer.Ordinal);
        return list;
    }

    private static string[] CheckClassList(IReadOnlyList<string> classes, string name)
    {
        if (classes.Count == 0) throw new TrainingDataException($"Split '{name}': the class list is empty.", name);
        var list = classes.ToArray();
        Array.Sort(list, StringComparer.Ordinal);
        for (int c = 0; c < list.Length; c++)
        {
            if (string.IsNullOrEmpty(list[c])) throw new TrainingDataException($"Split '{name}': the class list holds an empty name.", name);
            if (c > 0 && list[c] == list[c - 1])
                throw new TrainingDataException($"Split '{name}': class '{list[c]}' appears twice in the class list.", name);
        }
        return list;
    }

    private static string Describe(int row, IReadOnlyList<string>? ids) => ids is null ? $"row {row}" : $"row {row} (id '{ids[row]}')";
}
