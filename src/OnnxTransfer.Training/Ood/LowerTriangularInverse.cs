using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The inverse X = L⁻¹ of a lower-triangular matrix with a positive diagonal (a Cholesky factor), by substitution with no
/// pivoting and no fill above the diagonal: <c>X[i, j] = −L[i, j:i]·X[j:i, j] / L[i, i]</c> for i &gt; j. Column j of X is
/// built as a contiguous row of Xᵀ, so each entry is one vectorised dot product of two contiguous spans (d³/6
/// multiply-adds in all); columns are independent, so they are shared out to the workers. A general <c>L.Solve(I)</c>
/// treats L as dense (an LU of an already triangular matrix, then d full solves) and took minutes at d = 1280.
/// </summary>
internal static class LowerTriangularInverse
{
    /// <summary>L⁻¹, d × d row-major, from <paramref name="lower"/> (d × d row-major; entries above the diagonal are not read).</summary>
    /// <exception cref="ArgumentException">A diagonal entry is not positive.</exception>
    public static double[] Of(double[] lower, int d, ComputeContext context)
    {
        if (lower.Length != (long)d * d) throw new ArgumentException($"A {d}×{d} matrix needs {(long)d * d} values.", nameof(lower));
        for (int i = 0; i < d; i++)
            if (!(lower[i * d + i] > 0)) throw new ArgumentException($"The triangular matrix has a non-positive diagonal at {i}.", nameof(lower));
        var transposed = new double[(long)d * d]; // row j holds column j of X: X[i, j] at transposed[j * d + i]
        context.For(d, j =>
        {
            var column = transposed.AsSpan(j * d, d);
            column[j] = 1 / lower[j * d + j];
            for (int i = j + 1; i < d; i++)
                column[i] = -TensorPrimitives.Dot(new ReadOnlySpan<double>(lower, i * d + j, i - j), column[j..i]) / lower[i * d + i];
        });
        var inverse = new double[(long)d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) inverse[(long)i * d + j] = transposed[(long)j * d + i];
        return inverse;
    }
}
