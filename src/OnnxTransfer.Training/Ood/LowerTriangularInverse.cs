using MathNet.Numerics.LinearAlgebra;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The inverse of a lower-triangular matrix with a positive diagonal (a Cholesky factor) by forward substitution,
/// column by column: O(d³/3) multiply-adds with no pivoting and no fill above the diagonal. A general
/// <c>L.Solve(I)</c> treats L as dense (an LU of an already triangular matrix, then d full solves) and took minutes at
/// d = 1280; this takes about a second.
/// </summary>
internal static class LowerTriangularInverse
{
    public static Matrix<double> Of(Matrix<double> lower)
    {
        int d = lower.RowCount;
        if (lower.ColumnCount != d) throw new ArgumentException("A triangular inverse needs a square matrix.", nameof(lower));
        // Row-major copy: the substitution walks rows of L, which are contiguous here.
        var l = new double[(long)d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) l[(long)i * d + j] = lower[i, j];
        // X = L⁻¹ is lower triangular; X[i, j] = (δij − Σ_{j≤m<i} L[i, m] X[m, j]) / L[i, i], row i after rows < i.
        var x = new double[(long)d * d];
        var row = new double[d];
        for (int i = 0; i < d; i++)
        {
            Array.Clear(row);
            row[i] = 1;
            // row −= L[i, m] · X[m, :] for m < i (X[m, :] is zero beyond column m).
            for (int m = 0; m < i; m++)
            {
                double factor = l[(long)i * d + m];
                if (factor == 0) continue;
                var target = row.AsSpan(0, m + 1);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new ReadOnlySpan<double>(x, (int)((long)m * d), m + 1), -factor, target, target);
            }
            double pivot = l[(long)i * d + i];
            if (!(pivot > 0)) throw new ArgumentException($"The triangular matrix has a non-positive diagonal at {i}.", nameof(lower));
            for (int j = 0; j <= i; j++) x[(long)i * d + j] = row[j] / pivot;
        }
        return Matrix<double>.Build.Dense(d, d, (i, j) => x[(long)i * d + j]);
    }
}
