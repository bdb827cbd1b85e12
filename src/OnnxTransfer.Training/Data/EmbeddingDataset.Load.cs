using System.Buffers;
using System.Runtime.ExceptionServices;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Training.Data;

public sealed partial class EmbeddingDataset
{
    /// <summary>
    /// Loads the rows of <paramref name="split"/> (null: every row) into one contiguous buffer, in dataset order (parts,
    /// row groups, rows), with their labels and ids. Parts are read in parallel, each embedding straight into its place.
    /// </summary>
    /// <param name="classes">The class list to index labels against (e.g. the training split's, for an evaluation
    /// split); by default the labels occurring in the split.</param>
    /// <param name="views">With views: the original view only (default), or every view with the rows grouped by input.</param>
    /// <exception cref="TrainingDataException">An unknown split, rows without a label (the first is named), a NaN or
    /// infinite value (the row id is named), or labels missing from <paramref name="classes"/>.</exception>
    public EmbeddingSet Load(string? split = null, IReadOnlyList<string>? classes = null, ViewRows views = ViewRows.Original)
    {
        var selection = Select(split, views);
        int d = Dimension, count = selection.Count;
        var features = GC.AllocateUninitializedArray<float>(checked(count * d));
        var labels = new string[count];
        var ids = HasIds ? new string[count] : null;

        var byPart = selection.Groups.GroupBy(g => _groups[g.Entry].Part).ToArray();
        try
        {
            Parallel.ForEach(byPart, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Math.Min(byPart.Length, Environment.ProcessorCount)) }, part =>
            {
                using var reader = ParquetFileReader.Open(Parts[part.Key], ReaderOptions);
                foreach (var selected in part)
                {
                    var entry = _groups[selected.Entry];
                    var group = reader.OpenRowGroup(entry.RowGroup);
                    ReadEmbeddings(group, selected, features.AsSpan(selected.Offset * d, selected.Count * d));
                    var rowIds = ids is null ? null : group.ReadStrings(Columns.Id);
                    for (int i = 0; i < selected.Count; i++)
                    {
                        int row = selected.RowAt(i);
                        labels[selected.Offset + i] = _labels[entry.Labels[row]];
                        if (ids is not null) ids[selected.Offset + i] = rowIds![row] ?? "";
                    }
                }
            });
        }
        catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
        }
        var set = EmbeddingSet.Create(selection.Name, features, d, labels, classes, ids);
        return InputGroups(selection, views) is { } groups ? set.WithGroups(groups) : set;
    }

    /// <summary>With every view of a dataset with views: per selected row, the index of its input; else null.</summary>
    private int[]? InputGroups(RowSelection selection, ViewRows views)
    {
        if (!HasViews || views != ViewRows.All) return null;
        var groups = new int[selection.Count];
        foreach (var selected in selection.Groups)
        {
            var inputs = _groups[selected.Entry].Inputs!;
            for (int i = 0; i < selected.Count; i++) groups[selected.Offset + i] = inputs[selected.RowAt(i)];
        }
        return groups;
    }

    /// <summary>
    /// Opens <paramref name="split"/> (null: every row) for streaming instead of loading it: labels are read now,
    /// features on every pass, in chunks of about <paramref name="chunkBytes"/> (see <see cref="MemoryBudget.ChunkBytes"/>).
    /// </summary>
    /// <exception cref="TrainingDataException">As <see cref="Load"/>; non-finite values are found (and named) during passes.</exception>
    public StreamedSplit Stream(string? split = null, IReadOnlyList<string>? classes = null, long chunkBytes = 64L << 20, ViewRows views = ViewRows.Original)
    {
        var selection = Select(split, views);
        var classList = (classes ?? LabelsIn(selection)).ToArray();
        Array.Sort(classList, StringComparer.Ordinal);
        return new StreamedSplit(selection, classList, ClassIndices(selection, classList), StreamedSplit.ChunkRowsFor(chunkBytes, Dimension),
            groups: InputGroups(selection, views));
    }

    /// <summary>Reads a row group's embeddings, keeping only the selected rows (compacted into <paramref name="destination"/>).</summary>
    internal void ReadEmbeddings(ParquetRowGroupReader group, SelectedGroup selected, Span<float> destination)
    {
        int d = Dimension;
        if (selected.Rows is null)
        {
            group.ReadFixedSizeList(Columns.Embedding, d, destination);
            return;
        }
        var scratch = ArrayPool<float>.Shared.Rent(group.RowCount * d);
        try
        {
            group.ReadFixedSizeList(Columns.Embedding, d, scratch.AsSpan(0, group.RowCount * d));
            var rows = selected.Rows;
            for (int i = 0; i < rows.Length; i++) scratch.AsSpan(rows[i] * d, d).CopyTo(destination.Slice(i * d, d));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The rows of a split (null: all) as row-group selections in dataset order. Rows without a label are refused: a
    /// row the trainer cannot learn from or score is an error in the data, not something to skip silently. With views,
    /// <paramref name="views"/> says whether the rows of the other views are taken too.
    /// </summary>
    internal RowSelection Select(string? split, ViewRows views = ViewRows.Original)
    {
        int splitIndex = -1;
        if (split is not null)
        {
            if (!HasSplits)
                throw new TrainingDataException($"'{Root}' has no splits (no '{Columns.Split}' column, or it is empty); cannot select split '{split}'.", split);
            splitIndex = Array.IndexOf(_splits, split);
            if (splitIndex < 0)
                throw new TrainingDataException($"'{Root}' has no split named '{split}' (splits: {DescribeSplits()}).", split);
        }
        var groups = new List<SelectedGroup>();
        int offset = 0, unlabelled = 0;
        (int Entry, int Row)? firstUnlabelled = null;
        for (int e = 0; e < _groups.Length; e++)
        {
            var entry = _groups[e];
            int[]? rows = null;
            var originalOnly = views == ViewRows.Original && entry.Views is not null;
            if (splitIndex >= 0 || originalOnly)
            {
                if (splitIndex >= 0 && entry.Splits is null) continue;
                bool Takes(int i) => (splitIndex < 0 || entry.Splits![i] == splitIndex) && (!originalOnly || entry.Views![i] == Formats.CacheLayout.OriginalViewId);
                int matching = 0;
                for (int i = 0; i < entry.Rows; i++) if (Takes(i)) matching++;
                if (matching == 0) continue;
                if (matching < entry.Rows)
                {
                    rows = new int[matching];
                    for (int i = 0, k = 0; i < entry.Rows; i++) if (Takes(i)) rows[k++] = i;
                }
            }
            var selected = new SelectedGroup(e, rows, offset, rows?.Length ?? entry.Rows);
            for (int i = 0; i < selected.Count; i++)
            {
                if (entry.Labels[selected.RowAt(i)] >= 0) continue;
                unlabelled++;
                firstUnlabelled ??= (e, selected.RowAt(i));
            }
            groups.Add(selected);
            offset += selected.Count;
        }
        string name = split ?? "all";
        if (offset == 0) throw new TrainingDataException($"Split '{name}' of '{Root}' has no rows.", name);
        if (firstUnlabelled is { } bad)
            throw new TrainingDataException(
                $"Split '{name}' has {unlabelled} row(s) without a label (first: {DescribeRow(bad.Entry, bad.Row)}). " +
                "Every row trained on or evaluated needs a label in column '" + Columns.Label + "': label them, or drop them (e.g. with DuckDB) before training.", name);
        return new RowSelection(this, name, groups.ToArray(), offset);
    }

    /// <summary>"part 'part-00001.parquet', row group 2, row 7 (id 'x.jpg')", reading the id only for this message.</summary>
    internal string DescribeRow(int entryIndex, int row)
    {
        var entry = _groups[entryIndex];
        var where = $"part '{Path.GetFileName(Parts[entry.Part])}', row group {entry.RowGroup}, row {row}";
        if (!HasIds) return where;
        using var reader = ParquetFileReader.Open(Parts[entry.Part], ReaderOptions);
        var id = reader.OpenRowGroup(entry.RowGroup).ReadStrings(Columns.Id)[row];
        return id is null ? where : $"{where} (id '{id}')";
    }

    /// <summary>Class index (into <paramref name="classes"/>) of every selected row, in selection order.</summary>
    internal int[] ClassIndices(RowSelection selection, IReadOnlyList<string> classes)
    {
        var map = new int[_labels.Length];
        for (int l = 0; l < _labels.Length; l++)
        {
            map[l] = -1;
            for (int c = 0; c < classes.Count; c++)
                if (string.Equals(classes[c], _labels[l], StringComparison.Ordinal)) map[l] = c;
        }
        var result = new int[selection.Count];
        foreach (var selected in selection.Groups)
        {
            var entry = _groups[selected.Entry];
            for (int i = 0; i < selected.Count; i++)
            {
                int label = entry.Labels[selected.RowAt(i)];
                int c = map[label];
                if (c < 0)
                    throw new TrainingDataException(
                        $"Split '{selection.Name}', {DescribeRow(selected.Entry, selected.RowAt(i))}: label '{_labels[label]}' is not one of the " +
                        $"classes [{string.Join(", ", classes)}].", selection.Name);
                result[selected.Offset + i] = c;
            }
        }
        return result;
    }

    /// <summary>The labels that occur in a selection, ordinal order.</summary>
    internal string[] LabelsIn(RowSelection selection)
    {
        var seen = new bool[_labels.Length];
        foreach (var selected in selection.Groups)
        {
            var entry = _groups[selected.Entry];
            for (int i = 0; i < selected.Count; i++) seen[entry.Labels[selected.RowAt(i)]] = true;
        }
        return _labels.Where((_, i) => seen[i]).ToArray();
    }
}

/// <summary>The selected rows of one row group: all (<see cref="Rows"/> null) or the given local rows, ascending.</summary>
/// <param name="Offset">Position of the first selected row within the whole selection.</param>
internal readonly record struct SelectedGroup(int Entry, int[]? Rows, int Offset, int Count)
{
    public int RowAt(int i) => Rows is null ? i : Rows[i];
}

/// <summary>A subset of a dataset's rows in dataset order (a split, a fold's training rows…).</summary>
internal sealed record RowSelection(EmbeddingDataset Dataset, string Name, SelectedGroup[] Groups, int Count)
{
    /// <summary>The rows at the given positions of this selection (ascending), as a new selection.</summary>
    public RowSelection Subset(ReadOnlySpan<int> positions, string name)
    {
        var groups = new List<SelectedGroup>();
        int p = 0, offset = 0;
        foreach (var group in Groups)
        {
            int end = group.Offset + group.Count;
            var rows = new List<int>();
            while (p < positions.Length && positions[p] < end)
            {
                rows.Add(group.RowAt(positions[p] - group.Offset));
                p++;
            }
            if (rows.Count == 0) continue;
            var entryRows = Dataset.Groups[group.Entry].Rows;
            groups.Add(new SelectedGroup(group.Entry, rows.Count == entryRows ? null : rows.ToArray(), offset, rows.Count));
            offset += rows.Count;
        }
        return new RowSelection(Dataset, name, groups.ToArray(), offset);
    }
}
