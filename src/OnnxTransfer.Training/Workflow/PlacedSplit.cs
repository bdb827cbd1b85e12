using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Workflow;

/// <summary>A split of a dataset placed as the memory budget allows, and how (for the summary and the report).</summary>
/// <param name="Placement">"in memory (…)" or "streamed from the cache (…)".</param>
public sealed record PlacedSplit(TrainingData Data, string Placement)
{
    /// <summary>
    /// Loads the split when <paramref name="copies"/> copies of its features fit the budget (a fit holds the rows and
    /// their preprocessed copy; a cross-validation one more per fold), else opens it for streaming in chunks of a quarter
    /// of the budget.
    /// </summary>
    /// <param name="views">With views: the original view only (default) or every view, rows grouped by input.</param>
    public static PlacedSplit Place(EmbeddingDataset dataset, string? split, IReadOnlyList<string>? classes, MemoryBudget budget, int copies,
        ViewRows views = ViewRows.Original)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        long bytes = dataset.FeatureBytes(split, views);
        string size = $"{dataset.RowsIn(split, views)} × {dataset.Dimension} floats = {MemoryBudget.Format(bytes)}" +
                      (dataset.HasViews ? views == ViewRows.All ? ", every view" : ", original view" : "");
        if (budget.Fits(bytes, copies))
            return new PlacedSplit(dataset.Load(split, classes, views), $"in memory ({size}; ×{copies} within the budget of {budget})");
        var streamed = dataset.Stream(split, classes, budget.ChunkBytes, views);
        return new PlacedSplit(streamed, $"streamed from the cache ({size}; ×{copies} exceeds the budget of {budget}; chunks of {streamed.ChunkRows} rows)");
    }
}
