using System.Runtime.ExceptionServices;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// Labelled embeddings in Parquet, opened for training: an embedding cache folder, or any Parquet file or folder of
/// parts with a LIST&lt;FLOAT&gt; embedding column and a string label column (optional split and id columns; names in
/// <see cref="EmbeddingColumns"/>). Opening reads every part's footer and its label/split columns (never the
/// embeddings), checks that the parts agree on the fingerprint and the dimension, and indexes the row groups; then a
/// split is loaded into memory (<see cref="Load"/>) or streamed row group by row group (<c>StreamingRows</c>) when it
/// does not fit the memory budget. Parts under folders whose name starts with '_' or '.' (the cache's <c>_errors/</c>)
/// are not data and are skipped.
/// </summary>
public sealed partial class EmbeddingDataset
{
    private readonly RowGroupEntry[] _groups;
    private readonly string[] _labels;
    private readonly string[] _splits;
    private readonly int[] _rowsPerSplit;
    private int[]? _originalRowsPerSplit; // with views: rows of the original view per split

    private EmbeddingDataset(string root, string[] parts, EmbeddingColumns columns, int dimension, bool hasIds, RowGroupEntry[] groups,
        string[] labels, string[] splits, int[] rowsPerSplit, long rowCount, BackboneFingerprint? fingerprint, ParquetReaderOptions options)
    {
        Root = root;
        Parts = parts;
        Columns = columns;
        Dimension = dimension;
        HasIds = hasIds;
        _groups = groups;
        _labels = labels;
        _splits = splits;
        _rowsPerSplit = rowsPerSplit;
        RowCount = rowCount;
        Fingerprint = fingerprint;
        ReaderOptions = options;
    }

    /// <summary>The folder or file the dataset was opened from (full path).</summary>
    public string Root { get; }

    /// <summary>The data part files, in ordinal path order (error parts excluded).</summary>
    public IReadOnlyList<string> Parts { get; }

    public EmbeddingColumns Columns { get; }

    public int Dimension { get; }

    public long RowCount { get; }

    /// <summary>Row groups over all parts.</summary>
    public int RowGroupCount => _groups.Length;

    /// <summary>Whether rows have ids (the id column exists).</summary>
    public bool HasIds { get; }

    /// <summary>
    /// Whether the rows are views of inputs (a cache extracted with <c>--views</c>: every part has the view column).
    /// Splits are then loaded with the original view only unless <see cref="ViewRows.All"/> is asked for.
    /// </summary>
    public bool HasViews => _originalRowsPerSplit is not null;

    /// <summary>The view ids that occur (with views), ascending; empty without views.</summary>
    public IReadOnlyList<int> ViewIds { get; private init; } = [];

    /// <summary>The fingerprint all parts share; null when no part has one (e.g. embeddings written by pyarrow).</summary>
    public BackboneFingerprint? Fingerprint { get; }

    /// <summary>The numerics the parts were computed with (null when no part carries a fingerprint).</summary>
    public CacheNumerics? Numerics { get; private init; }

    /// <summary>Every distinct label of the data, ordinal order (unlabelled rows are not counted here).</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Whether the rows carry split names (a split column with at least one non-null value).</summary>
    public bool HasSplits => _splits.Length > 0;

    /// <summary>The split names that occur, ordinal order.</summary>
    public IReadOnlyList<string> Splits => _splits;

    internal ParquetReaderOptions ReaderOptions { get; }

    internal IReadOnlyList<RowGroupEntry> Groups => _groups;

    /// <summary>Rows of <paramref name="split"/> (null: all rows); with views, of the original view (one per input).</summary>
    public int RowsIn(string? split) => RowsIn(split, ViewRows.Original);

    /// <summary>Rows of <paramref name="split"/> (null: all rows) that <paramref name="views"/> takes.</summary>
    public int RowsIn(string? split, ViewRows views)
    {
        var perSplit = views == ViewRows.Original && _originalRowsPerSplit is { } original ? original : _rowsPerSplit;
        if (split is null) return views == ViewRows.All || !HasViews ? checked((int)RowCount) : _originalRows;
        int index = Array.IndexOf(_splits, split);
        return index < 0 ? 0 : perSplit[index];
    }

    private int _originalRows; // with views: rows of the original view

    /// <summary>Bytes the features of <paramref name="split"/> take in memory as one float buffer.</summary>
    public long FeatureBytes(string? split, ViewRows views = ViewRows.Original) => (long)RowsIn(split, views) * Dimension * sizeof(float);

    /// <summary>"train (245 rows), val (153 rows)", for messages; with views "'train' (245 rows; 490 with views)".</summary>
    public string DescribeSplits() => HasSplits
        ? string.Join(", ", _splits.Select((s, i) => _originalRowsPerSplit is { } original
            ? $"'{s}' ({original[i]} rows; {_rowsPerSplit[i]} with views)"
            : $"'{s}' ({_rowsPerSplit[i]} rows)"))
        : "none";

    /// <summary>
    /// Opens Parquet embeddings: a file, or a folder of part files (searched recursively, '_'/'.' folders skipped).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file or folder, or a folder without parts.</exception>
    /// <exception cref="TrainingDataException">A column is missing or of the wrong type, parts disagree on the fingerprint
    /// or the dimension, or an embedding row is null or of another length (named by part, row group and id).</exception>
    /// <exception cref="ParquetFormatException">A part is not valid Parquet.</exception>
    public static EmbeddingDataset Open(string path, EmbeddingColumns? columns = null, ParquetReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        columns ??= EmbeddingColumns.Default;
        options ??= ParquetReaderOptions.Default;
        var parts = ParquetDataset.ListParts(path).ToArray();
        RequireChecksumsOnAllOrNone(parts);
        var scans = new PartScan[parts.Length];
        try
        {
            Parallel.For(0, parts.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(parts.Length, Environment.ProcessorCount) },
                i => scans[i] = PartScan.Read(parts[i], columns, options));
        }
        catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
        {
            // The first part's problem, with its own type (a missing column, a bad row, a corrupt file).
            ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
        }

        var fingerprint = AgreeOnFingerprint(parts, scans);
        int dimension = AgreeOnDimension(parts, scans);
        bool hasViews = AgreeOnViews(parts, scans, columns);
        var inputs = new Dictionary<string, int>(StringComparer.Ordinal); // with views: id → input index
        var originalRowsPerSplit = new int[0];
        int originalRows = 0;
        var viewIds = new SortedSet<int>();

        // Labels and splits: one sorted list each over all parts; each part's local indices are remapped to it.
        var labels = scans.SelectMany(s => s.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var splits = scans.SelectMany(s => s.Splits).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var rowsPerSplit = new int[splits.Length];
        originalRowsPerSplit = new int[splits.Length];
        var groups = new List<RowGroupEntry>();
        long firstRow = 0;
        for (int p = 0; p < scans.Length; p++)
        {
            var scan = scans[p];
            var labelMap = scan.Labels.Select(l => Array.BinarySearch(labels, l, StringComparer.Ordinal)).ToArray();
            var splitMap = scan.Splits.Select(s => Array.BinarySearch(splits, s, StringComparer.Ordinal)).ToArray();
            for (int g = 0; g < scan.Groups.Count; g++)
            {
                var group = scan.Groups[g];
                for (int i = 0; i < group.Labels.Length; i++)
                    if (group.Labels[i] >= 0) group.Labels[i] = labelMap[group.Labels[i]];
                if (group.Splits is { } rowSplits)
                {
                    for (int i = 0; i < rowSplits.Length; i++)
                    {
                        if (rowSplits[i] < 0) continue;
                        rowSplits[i] = splitMap[rowSplits[i]];
                        rowsPerSplit[rowSplits[i]]++;
                        if (group.Views is { } rowViews && rowViews[i] == CacheLayout.OriginalViewId) originalRowsPerSplit[rowSplits[i]]++;
                    }
                }
                int[]? groupInputs = null;
                if (group.Views is { } views)
                {
                    var ids = scan.GroupIds[g];
                    groupInputs = new int[ids.Length];
                    for (int i = 0; i < ids.Length; i++)
                    {
                        var id = ids[i] ?? throw new TrainingDataException($"'{parts[p]}', row group {group.RowGroup}, row {i}: a view row without an id; the id names its input.");
                        if (!inputs.TryGetValue(id, out groupInputs[i])) inputs[id] = groupInputs[i] = inputs.Count;
                        if (views[i] == CacheLayout.OriginalViewId) originalRows++;
                        viewIds.Add(views[i]);
                    }
                }
                groups.Add(group with { Part = p, FirstRow = firstRow, Inputs = groupInputs });
                firstRow += group.Rows;
            }
        }
        if (firstRow > int.MaxValue)
            throw new TrainingDataException($"'{path}' holds {firstRow} rows; the trainer handles at most {int.MaxValue} rows per dataset. Train on a subset of the parts.");
        bool hasIds = scans.All(s => s.HasIds);
        return new EmbeddingDataset(Path.GetFullPath(path), parts, columns, dimension, hasIds, groups.ToArray(), labels, splits,
            rowsPerSplit, firstRow, fingerprint, options)
        {
            Numerics = CacheNumerics.Gather(scans.Select(s => (s.Fingerprint is not null, s.Numerics))),
            _originalRowsPerSplit = hasViews ? originalRowsPerSplit : null,
            _originalRows = originalRows,
            ViewIds = [.. viewIds],
        };
    }

    /// <summary>
    /// Parts carry a <c>.sha256</c> file (checked on open) when our writer made them. If some do and one does not, that
    /// one cannot be trusted — it was copied in, or its checksum was lost — so it is refused instead of read unchecked.
    /// </summary>
    private static void RequireChecksumsOnAllOrNone(string[] parts)
    {
        var unchecked_ = parts.Where(p => !File.Exists(FileChecksum.SidecarOf(p))).ToArray();
        if (unchecked_.Length > 0 && unchecked_.Length < parts.Length)
            throw new TrainingDataException(
                $"The part '{unchecked_[0]}' has no checksum file ({Path.GetFileName(FileChecksum.SidecarOf(unchecked_[0]))}) while " +
                $"{parts.Length - unchecked_.Length} other part(s) have one, so its content cannot be trusted. Delete it and rerun the same " +
                "extract command, which embeds exactly its rows again.");
    }

    /// <summary>
    /// Chooses the training and evaluation splits. Defaults: train on <c>train</c> and evaluate on <c>val</c> when the
    /// data has them; without splits, train on every row and evaluate on none (select by cross-validation or hold-out).
    /// <paramref name="evaluation"/> = <c>none</c> evaluates on no split.
    /// </summary>
    /// <exception cref="TrainingDataException">A named split that does not exist (the message lists the splits), split
    /// names for data without splits, or the same split for training and evaluation.</exception>
    public SplitPlan PlanSplits(string? train = null, string? evaluation = null)
    {
        var notes = new List<string>();
        bool noEvaluation = string.Equals(evaluation, "none", StringComparison.Ordinal);
        if (!HasSplits)
        {
            if (train is not null || (evaluation is not null && !noEvaluation))
                throw new TrainingDataException(
                    $"'{Root}' has no splits (no '{Columns.Split}' column, or it is empty), so --train-split/--eval-split cannot select one. " +
                    "Every row is training data: leave the split options out (selection then uses cross-validation or a hold-out of the rows), " +
                    "or name the split column with --split-column.");
            notes.Add("the data has no splits: training on all rows, no evaluation split");
            return new SplitPlan(null, null, notes);
        }

        if (train is null)
        {
            if (!_splits.Contains("train"))
                throw new TrainingDataException(
                    $"'{Root}' has no split named 'train' (splits: {DescribeSplits()}). Choose the training split with --train-split.");
            train = "train";
        }
        else RequireSplit(train, "--train-split");

        if (noEvaluation) evaluation = null;
        else if (evaluation is null)
        {
            if (_splits.Contains("val")) evaluation = "val";
            else notes.Add($"no 'val' split (splits: {DescribeSplits()}): no evaluation split; pass --eval-split to choose one");
        }
        else RequireSplit(evaluation, "--eval-split");

        if (evaluation is not null && evaluation == train)
            throw new TrainingDataException(
                $"Split '{train}' cannot be both the training and the evaluation split: scores on training rows say nothing about new data. " +
                "Choose another --eval-split (or none).");
        long unassigned = RowCount - _rowsPerSplit.Sum();
        if (unassigned > 0) notes.Add($"{unassigned} row(s) have no split and are not used");
        return new SplitPlan(train, evaluation, notes);
    }

    private void RequireSplit(string split, string option)
    {
        if (!_splits.Contains(split))
            throw new TrainingDataException(
                $"'{Root}' has no split named '{split}' (splits: {DescribeSplits()}). Check {option}; split names are matched exactly.", split);
    }

    private static BackboneFingerprint? AgreeOnFingerprint(string[] parts, PartScan[] scans)
    {
        // Group parts by fingerprint (null = none); one group (with or without a fingerprint) is the only good outcome.
        var groups = scans.Select((scan, i) => (Key: scan.Fingerprint?.Sha256, Part: i)).GroupBy(g => g.Key).ToArray();
        if (groups.Length == 1) return scans[0].Fingerprint;
        var description = string.Join("; ", groups.Select(g =>
        {
            var names = g.Select(x => Path.GetFileName(parts[x.Part])).ToArray();
            var shown = string.Join(", ", names.Take(3)) + (names.Length > 3 ? $" and {names.Length - 3} more" : "");
            return g.Key is null ? $"{shown}: no fingerprint" : $"{shown}: fingerprint sha256 {g.Key[..Math.Min(12, g.Key.Length)]}…";
        }));
        throw new TrainingDataException(
            $"The parts of '{Path.GetDirectoryName(parts[0])}' come from different backbones or preprocessing ({description}). " +
            "Embeddings of different backbones cannot be mixed: move the foreign parts out, or extract them again into one cache.");
    }

    /// <summary>Every part has the view column or none has: a cache with views and one without are never mixed.</summary>
    private static bool AgreeOnViews(string[] parts, PartScan[] scans, EmbeddingColumns columns)
    {
        var withViews = parts.Where((_, i) => scans[i].HasViews).ToArray();
        if (withViews.Length == 0) return false;
        if (withViews.Length == parts.Length) return true;
        var without = parts.Where((_, i) => !scans[i].HasViews).ToArray();
        throw new TrainingDataException(
            $"Some parts have a view column '{columns.View}' ('{Path.GetFileName(withViews[0])}') and some do not ('{Path.GetFileName(without[0])}'): " +
            "embeddings extracted with views and without are mixed. Train on one cache: move the foreign parts out.");
    }

    private static int AgreeOnDimension(string[] parts, PartScan[] scans)
    {
        int first = Array.FindIndex(scans, s => s.Dimension > 0);
        if (first < 0)
            throw new TrainingDataException($"'{Path.GetDirectoryName(parts[0])}' holds no rows: its parts are empty. Extract embeddings first.");
        int dimension = scans[first].Dimension;
        for (int i = 0; i < scans.Length; i++)
        {
            if (scans[i].Dimension > 0 && scans[i].Dimension != dimension)
                throw new TrainingDataException(
                    $"Parts disagree on the embedding dimension: '{Path.GetFileName(parts[i])}' holds {scans[i].Dimension}-d embeddings, " +
                    $"'{Path.GetFileName(parts[first])}' {dimension}-d. A cache holds one backbone's embeddings: move the foreign parts out or extract them again.");
        }
        return dimension;
    }
}

/// <summary>One row group of the dataset: where it is, its rows, and per row the label and split index (−1: none).</summary>
/// <param name="Views">With views: per row its view id; null without views.</param>
/// <param name="Inputs">With views: per row the index of its input (its id) over the whole dataset.</param>
internal sealed record RowGroupEntry(int Part, int RowGroup, int Rows, long FirstRow, int[] Labels, int[]? Splits, int[]? Views = null, int[]? Inputs = null);
