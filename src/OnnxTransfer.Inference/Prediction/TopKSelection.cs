namespace OnnxTransfer.Inference.Prediction;

/// <summary>The k largest values of a probability row, best first; equal values keep the lower index first (as ArgMax).</summary>
public static class TopKSelection
{
    /// <summary>Indices of the <paramref name="k"/> largest values of <paramref name="row"/>.</summary>
    public static int[] Select(ReadOnlySpan<float> row, int k)
    {
        var indices = new int[Math.Clamp(k, 0, row.Length)];
        Select(row, indices);
        return indices;
    }

    /// <summary>Fills <paramref name="indices"/> (its length is k) without allocating: insertion into a sorted top list, O(n·k).</summary>
    public static void Select(ReadOnlySpan<float> row, Span<int> indices)
    {
        var k = indices.Length;
        if (k == 0) return;
        if (k > row.Length) throw new ArgumentException($"k = {k} is more than the {row.Length} values.", nameof(indices));
        var filled = 0;
        for (var i = 0; i < row.Length; i++)
        {
            var value = row[i];
            // NaN sorts last so a broken row still yields k distinct indices.
            if (filled == k && !Better(value, row[indices[k - 1]])) continue;
            var position = filled < k ? filled++ : k - 1;
            while (position > 0 && Better(value, row[indices[position - 1]]))
            {
                indices[position] = indices[position - 1];
                position--;
            }
            indices[position] = i;
        }
    }

    // Strictly better only: an equal later value stays behind the earlier index.
    private static bool Better(float candidate, float incumbent) =>
        !float.IsNaN(candidate) && (float.IsNaN(incumbent) || candidate > incumbent);
}
