using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// A few orthonormal directions that carry most of the rows' energy (their leading uncentred principal directions),
/// found by subspace iteration on an evenly spaced sample: <c>Y ← orth((XᵀX)·Y)</c> a few times, each step two BLAS
/// multiplies. The directions only decide how much the threshold search can prune, never what it finds (its bound holds
/// for any basis, <see cref="RowSketches"/>), so a rough basis is good enough and the sample and seed are fixed.
/// </summary>
internal static class ProjectionBasis
{
    private const int SampleRows = 4096;
    private const int Iterations = 5;

    /// <summary>
    /// Up to <paramref name="directions"/> orthonormal rows of length <paramref name="dimension"/> (row-major float),
    /// fewer when the sample spans fewer; rows that are not finite are left out of the sample.
    /// </summary>
    public static float[] Fit(ReadOnlySpan<float> rows, int dimension, int directions, ComputeContext context)
    {
        int count = rows.Length / dimension;
        var sample = Sample(rows, count, dimension);
        int sampled = sample.Length / dimension;
        var random = new DeterministicRandom(0x5EED_0B45_15UL);
        var basis = new double[directions * dimension];
        for (int i = 0; i < basis.Length; i++) basis[i] = random.NextDouble() - 0.5;
        int kept = Orthonormalise(basis, directions, dimension);
        var single = new float[directions * dimension];
        var scores = new float[Math.Max(1, sampled) * directions];
        for (int iteration = 0; iteration < Iterations && sampled > 0 && kept > 0; iteration++)
        {
            for (int i = 0; i < kept * dimension; i++) single[i] = (float)basis[i];
            // scores = sample · basisᵀ (sampled × kept); next basis = scoresᵀ · sample (kept × dimension).
            context.Blas.Sgemm(false, true, sampled, kept, dimension, 1f, sample, dimension, single, dimension, 0f, scores, kept);
            context.Blas.Sgemm(true, false, kept, dimension, sampled, 1f, scores, kept, sample, dimension, 0f, single, dimension);
            for (int i = 0; i < kept * dimension; i++) basis[i] = single[i];
            kept = Orthonormalise(basis, kept, dimension);
        }
        var result = new float[kept * dimension];
        for (int i = 0; i < result.Length; i++) result[i] = (float)basis[i];
        return result;
    }

    private static float[] Sample(ReadOnlySpan<float> rows, int count, int dimension)
    {
        int wanted = Math.Min(count, SampleRows);
        var sample = new float[wanted * dimension];
        int taken = 0;
        for (int s = 0; s < wanted; s++)
        {
            var row = rows.Slice((int)((long)s * count / wanted) * dimension, dimension);
            if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(row))) continue;
            row.CopyTo(sample.AsSpan(taken++ * dimension, dimension));
        }
        return taken == wanted ? sample : sample[..(taken * dimension)];
    }

    /// <summary>
    /// Modified Gram–Schmidt in double, applied twice (so the result is orthonormal to rounding); a row that has lost
    /// almost all its length to the earlier ones is dropped. Returns the rows kept (compacted to the front).
    /// </summary>
    private static int Orthonormalise(double[] basis, int rows, int dimension)
    {
        int kept = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = basis.AsSpan(r * dimension, dimension);
            double before = Math.Sqrt(Dot(row, row));
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k < kept; k++)
                {
                    var earlier = basis.AsSpan(k * dimension, dimension);
                    double projection = Dot(row, earlier);
                    for (int j = 0; j < dimension; j++) row[j] -= projection * earlier[j];
                }
            double after = Math.Sqrt(Dot(row, row));
            if (!(after > 1e-6 * before) || !double.IsFinite(after)) continue;
            var target = basis.AsSpan(kept * dimension, dimension);
            for (int j = 0; j < dimension; j++) target[j] = row[j] / after;
            kept++;
        }
        return kept;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
