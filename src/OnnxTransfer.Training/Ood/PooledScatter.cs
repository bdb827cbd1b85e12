using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The pooled within-class covariance <c>Σ = Σ_r (x_r − μ_{c(r)})(x_r − μ_{c(r)})ᵀ / n</c> in double, lower triangle only
/// (what <see cref="CholeskyLower"/> reads), from second moments about a reference point (the mean of every row):
/// <c>Σ_{r∈c} (x_r − μ_c)(x_r − μ_c)ᵀ = Σ_{r∈c} (x_r − ref)(x_r − ref)ᵀ − s_c s_cᵀ / n_c</c> with <c>s_c = Σ_{r∈c} (x_r − ref)</c>.
/// Moments add and subtract, so the out-of-fold summaries need one pass over all rows and one over each held-out fold
/// (the fit set's moments are the total's minus the fold's), not a pass over the other folds per fold.
/// </summary>
/// <remarks>
/// A pass centres rows in blocks and stores them feature-major, so every entry is one contiguous dot product over the
/// block's rows: memory stays at one block whatever n is. Rows of the matrix are shared out to the workers, each entry
/// computed by one of them in a fixed order: the result does not depend on how many. About the mean of all rows, the
/// subtracted class terms are of the order of the between-class spread, so in double nothing of the within-class part
/// is lost to cancellation.
/// </remarks>
internal static class PooledScatter
{
    public const int DefaultBlockRows = 256;

    /// <summary><c>Σ_{r∈rows} (x_r − ref)(x_r − ref)ᵀ</c>, d × d row-major, lower triangle (above it: 0).</summary>
    /// <param name="x">n × d row-major (after the head's preprocessing).</param>
    public static double[] SecondMoments(float[] x, int d, ReadOnlySpan<int> rows, double[] reference, ComputeContext context,
        int blockRows = DefaultBlockRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        var moments = new double[(long)d * d];
        blockRows = Math.Min(blockRows, Math.Max(rows.Length, 1));
        var block = new double[(long)d * blockRows]; // feature-major: block[j * blockRows + r]
        for (int start = 0; start < rows.Length; start += blockRows)
        {
            int count = Math.Min(blockRows, rows.Length - start);
            for (int r = 0; r < count; r++)
            {
                var row = x.AsSpan(rows[start + r] * d, d);
                for (int j = 0; j < d; j++) block[(long)j * blockRows + r] = row[j] - reference[j];
            }
            int stride = blockRows;
            context.For(d, i =>
            {
                var feature = new ReadOnlySpan<double>(block, i * stride, count);
                var target = moments.AsSpan(i * d, i + 1);
                for (int j = 0; j <= i; j++) target[j] += TensorPrimitives.Dot(feature, new ReadOnlySpan<double>(block, j * stride, count));
            });
        }
        return moments;
    }

    /// <summary>
    /// Turns second moments about the reference (lower triangle, in place) into the pooled within-class covariance:
    /// subtracts <c>s_c s_cᵀ / n_c</c> for each class and divides by the row count.
    /// </summary>
    /// <param name="classSums">k × d: <c>s_c</c>, the sum of each class's rows minus the reference.</param>
    /// <param name="classCounts">Rows per class; a class with none contributes nothing.</param>
    public static void ToCovariance(double[] moments, int d, double[] classSums, int[] classCounts, ComputeContext context)
    {
        int rows = classCounts.Sum();
        context.For(d, i =>
        {
            var target = moments.AsSpan(i * d, i + 1);
            for (int c = 0; c < classCounts.Length; c++)
            {
                if (classCounts[c] == 0) continue;
                var sum = new ReadOnlySpan<double>(classSums, c * d, i + 1);
                TensorPrimitives.MultiplyAdd(sum, -sum[i] / classCounts[c], target, target);
            }
            TensorPrimitives.Divide(target, rows, target);
        });
    }

    /// <summary><c>Σ (x_r − ref)</c> per class and rows per class, over <paramref name="rows"/>.</summary>
    public static (double[] Sums, int[] Counts) ClassSums(float[] x, int d, ReadOnlySpan<int> rows, int[] labels, int classes, double[] reference)
    {
        var sums = new double[(long)classes * d];
        var counts = new int[classes];
        foreach (int r in rows)
        {
            int c = labels[r];
            counts[c]++;
            var sum = sums.AsSpan(c * d, d);
            var row = x.AsSpan(r * d, d);
            for (int j = 0; j < d; j++) sum[j] += row[j] - reference[j];
        }
        return (sums, counts);
    }
}
