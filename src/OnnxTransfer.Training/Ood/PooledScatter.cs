using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The pooled within-class covariance <c>Σ = Σ_r (x_r − μ_{c(r)})(x_r − μ_{c(r)})ᵀ / n</c> in double, lower triangle only
/// (what <see cref="CholeskyLower"/> reads). Rows are centred in blocks and stored feature-major, so every entry is one
/// contiguous dot product over the block's rows: memory stays at one block whatever n is. Rows of Σ are shared out to
/// the workers, each entry computed by one of them in a fixed order: the result does not depend on how many.
/// </summary>
internal static class PooledScatter
{
    public const int DefaultBlockRows = 256;

    /// <summary>d × d row-major; entries above the diagonal are left 0.</summary>
    /// <param name="rows">n × d row-major (after the head's preprocessing).</param>
    /// <param name="labels">Class of each row.</param>
    /// <param name="means">k × d row-major class means.</param>
    /// <param name="blockRows">Rows centred at a time.</param>
    /// <param name="context">The workers.</param>
    public static double[] LowerCovariance(ReadOnlySpan<float> rows, int n, int d, ReadOnlySpan<int> labels, ReadOnlySpan<double> means,
        ComputeContext context, int blockRows = DefaultBlockRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        var covariance = new double[(long)d * d];
        blockRows = Math.Min(blockRows, Math.Max(n, 1));
        var block = new double[(long)d * blockRows]; // feature-major: block[j * blockRows + r]
        for (int start = 0; start < n; start += blockRows)
        {
            int count = Math.Min(blockRows, n - start);
            for (int r = 0; r < count; r++)
            {
                var row = rows.Slice((start + r) * d, d);
                var mean = means.Slice(labels[start + r] * d, d);
                for (int j = 0; j < d; j++) block[(long)j * blockRows + r] = row[j] - mean[j];
            }
            int stride = blockRows;
            context.For(d, i =>
            {
                var feature = new ReadOnlySpan<double>(block, i * stride, count);
                var target = covariance.AsSpan(i * d, i + 1);
                for (int j = 0; j <= i; j++) target[j] += TensorPrimitives.Dot(feature, new ReadOnlySpan<double>(block, j * stride, count));
            });
        }
        for (int i = 0; i < d; i++) TensorPrimitives.Divide(covariance.AsSpan(i * d, i + 1), n, covariance.AsSpan(i * d, i + 1));
        return covariance;
    }
}
