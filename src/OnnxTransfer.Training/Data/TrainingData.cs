using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// A split of labelled embeddings as every trainer, sweep, calibration and evaluation takes it. Where the features live
/// is a property of the data, not a second API: loaded into one buffer (<see cref="EmbeddingSet"/>) or read from the
/// cache's Parquet parts on every pass (<see cref="StreamedSplit"/>, for splits larger than the memory budget). Trainers
/// see rows as chunks (<see cref="IRowChunks"/>); chunks hold whole row blocks, so both placements give the same bits.
/// </summary>
public abstract class TrainingData
{
    private protected TrainingData()
    {
    }

    /// <summary>The split's name (<c>train</c>, <c>val</c>, <c>test</c>, a fold…), used in messages and reports.</summary>
    public abstract string Name { get; }

    public abstract int Count { get; }

    public abstract int Dimension { get; }

    /// <summary>Class names, distinct and in ordinal order; <see cref="LabelIndices"/> index into this list.</summary>
    public abstract IReadOnlyList<string> Classes { get; }

    /// <summary>The class index of every row.</summary>
    public ReadOnlySpan<int> LabelIndices => LabelArray;

    /// <summary>True when the features are read from the parts on every pass instead of being held in memory.</summary>
    public abstract bool IsStreamed { get; }

    /// <summary>Rows per class, indexed like <see cref="Classes"/>.</summary>
    public int[] CountPerClass() => Labelled.CountPerClass();

    /// <summary>The same rows indexed against another class list that contains every class occurring here.</summary>
    public abstract TrainingData WithClasses(IReadOnlyList<string> classes);

    /// <summary>
    /// True when rows are views of inputs (<see cref="ViewRows.All"/> of a dataset with views): folds, hold-outs and
    /// test-time augmentation then group the rows by input, never splitting one input's views.
    /// </summary>
    public bool HasInputGroups => GroupArray is not null;

    /// <summary>Distinct inputs (with views); <see cref="Count"/> otherwise.</summary>
    public int InputCount => GroupArray is { } groups ? groups.Distinct().Count() : Count;

    /// <summary>Per row the input it is a view of (any ints, equal for views of one input); null: every row its own input.</summary>
    internal abstract int[]? GroupArray { get; }

    /// <summary>
    /// Per row, the number of its input (0, 1, … in order of first appearance): the unit that out-of-fold scores and
    /// few-shot draws deal, so one input's views are never split. Without views every row is its own input (row i → i).
    /// </summary>
    internal int[] InputOfRow()
    {
        var inputOf = new int[Count];
        if (GroupArray is not { } groups)
        {
            for (int row = 0; row < inputOf.Length; row++) inputOf[row] = row;
            return inputOf;
        }
        var numbers = new Dictionary<int, int>();
        for (int row = 0; row < inputOf.Length; row++)
        {
            if (!numbers.TryGetValue(groups[row], out var input)) numbers[groups[row]] = input = numbers.Count;
            inputOf[row] = input;
        }
        return inputOf;
    }

    /// <summary>The split's labels without its features.</summary>
    internal abstract LabelledRows Labelled { get; }

    internal abstract int[] LabelArray { get; }

    /// <summary>The rows at <paramref name="positions"/> (ascending) with the same classes; in memory a private copy.</summary>
    internal abstract TrainingData Subset(ReadOnlySpan<int> positions, string name);

    /// <summary>
    /// The rows, preprocessed, chunk by chunk. <paramref name="ownsFeatures"/>: the rows are a private copy (a fold, a
    /// carve-out) that may be preprocessed in place; otherwise the caller's features are left alone.
    /// </summary>
    internal abstract IRowChunks Rows(FeaturePreprocessing preprocessing, ComputeContext context, bool ownsFeatures = false);

    /// <summary>Shuffled mini-batches of the preprocessed rows for the MLP (see <see cref="IBatchSource"/>).</summary>
    internal abstract IBatchSource Batches(FeaturePreprocessing preprocessing, int seed, int batchRows, ComputeContext context, bool ownsFeatures);
}
