using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The Cholesky factor L (A = L Lᵀ) of a symmetric positive-definite matrix, row by row (Cholesky–Crout):
/// <c>L[i, j] = (A[i, j] − L[i, :j]·L[j, :j]) / L[j, j]</c>. Row-major storage makes both operands of every dot product
/// contiguous, so the d³/6 multiply-adds run as vectorised dot products; a general-purpose factorisation walks columns
/// of a column-major matrix element by element and was the slowest step of fitting a 1280-d summary.
/// </summary>
/// <remarks>
/// Rows are taken in panels of <see cref="PanelRows"/>. An entry left of the panel (j below its first row) needs only
/// finished rows and its own row's earlier entries, so the panel's rows compute those on separate workers; the few
/// entries inside the panel follow serially. Every entry is the same dot product in the same order either way, so the
/// factor is bit-identical for any number of workers.
/// </remarks>
internal static class CholeskyLower
{
    public const int PanelRows = 32;

    /// <summary>Overwrites the lower triangle of <paramref name="matrix"/> (d × d row-major) with L and zeroes the rest.</summary>
    /// <exception cref="ArgumentException">A pivot is not positive: the matrix is not positive definite.</exception>
    public static void FactorInPlace(double[] matrix, int d, ComputeContext context)
    {
        if (matrix.Length != (long)d * d) throw new ArgumentException($"A {d}×{d} matrix needs {(long)d * d} values.", nameof(matrix));
        for (int first = 0; first < d; first += PanelRows)
        {
            int end = Math.Min(d, first + PanelRows), panelStart = first;
            context.For(end - first, offset => Entries(matrix, d, panelStart + offset, 0, panelStart));
            for (int i = first; i < end; i++)
            {
                Entries(matrix, d, i, first, i);
                var row = matrix.AsSpan(i * d, d);
                double pivot = row[i] - TensorPrimitives.SumOfSquares<double>(row[..i]);
                if (!(pivot > 0))
                    throw new ArgumentException($"The matrix is not positive definite (pivot {pivot:G6} at row {i}).", nameof(matrix));
                row[i] = Math.Sqrt(pivot);
                row[(i + 1)..].Clear();
            }
        }
    }

    /// <summary>L[i, j] for j in [from, to): rows j already finished, row i's entries before <paramref name="from"/> too.</summary>
    private static void Entries(double[] matrix, int d, int i, int from, int to)
    {
        var row = matrix.AsSpan(i * d, d);
        for (int j = from; j < to; j++)
        {
            var finished = new ReadOnlySpan<double>(matrix, j * d, j + 1);
            row[j] = (row[j] - TensorPrimitives.Dot<double>(row[..j], finished[..j])) / finished[j];
        }
    }
}
