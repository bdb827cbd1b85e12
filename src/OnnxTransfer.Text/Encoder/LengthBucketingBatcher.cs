namespace OnnxTransfer.Text.Encoder;

/// <summary>
/// Plans batches of rows with similar token counts, so that padding to the longest row of each batch wastes little:
/// rows are sorted by length (ties keep their order) and cut into consecutive batches of at most
/// <see cref="MaxBatchSize"/> rows and, when set, at most <see cref="MaxTokensPerBatch"/> padded tokens (B × T).
/// Every row lands in exactly one batch; the plan holds the original row indices, so results go back to their rows.
/// </summary>
public sealed class LengthBucketingBatcher
{
    public LengthBucketingBatcher(int maxBatchSize, int? maxTokensPerBatch = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        if (maxTokensPerBatch is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxTokensPerBatch), maxTokensPerBatch, "MaxTokensPerBatch must be positive (or null for no limit).");
        MaxBatchSize = maxBatchSize;
        MaxTokensPerBatch = maxTokensPerBatch;
    }

    public int MaxBatchSize { get; }

    /// <summary>Upper bound on B × T of a batch (a memory budget); a single longer row still gets a batch of its own.</summary>
    public int? MaxTokensPerBatch { get; }

    /// <summary>The batches for rows of the given token counts: each an array of row indices, shortest rows first.</summary>
    public int[][] Plan(ReadOnlySpan<int> tokenCounts)
    {
        var order = new int[tokenCounts.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = tokenCounts.ToArray();
        // Array.Sort is unstable; sorting (length, index) pairs keeps equal lengths in their original order.
        var composite = new long[order.Length];
        for (var i = 0; i < order.Length; i++) composite[i] = ((long)keys[i] << 32) | (uint)i;
        Array.Sort(composite, order);

        var batches = new List<int[]>();
        var start = 0;
        while (start < order.Length)
        {
            var end = start + 1;
            while (end < order.Length && end - start < MaxBatchSize
                   && (MaxTokensPerBatch is not { } budget || (long)(end - start + 1) * keys[order[end]] <= budget))
                end++;
            batches.Add(order[start..end]);
            start = end;
        }
        return [.. batches];
    }

    /// <summary>The batches for encodings (by their lengths).</summary>
    public int[][] Plan(IReadOnlyList<TokenEncoding> encodings)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        var counts = new int[encodings.Count];
        for (var i = 0; i < counts.Length; i++) counts[i] = encodings[i].Length;
        return Plan(counts);
    }
}
