using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// The learned feature-space density summary of a training split (plain data): a whitening matrix <c>W</c> (d × d,
/// row-major, <c>Wᵀ W = (Σ + λI)⁻¹</c> for the shared ridge-regularised covariance Σ) and the whitened class means
/// <c>W μ_k</c> (k × d). The score of a row x (after <see cref="Preprocessing"/>) is the smallest squared Mahalanobis
/// distance to a class mean, <c>min_k ‖W x − W μ_k‖²</c>. Higher means further from every training class: more
/// out-of-distribution.
/// </summary>
/// <remarks>
/// The score is computed as <c>min_k Σ_j (z_j − m_kj)²</c> with <c>z = x Wᵀ</c>: one matrix product, then the squared
/// differences to each whitened mean — the operations an ONNX graph uses (Gemm, Sub, ReduceSumSquare, ReduceMin). Not
/// the expansion <c>‖z‖² − 2 z·m_k + ‖m_k‖²</c>: for rows near a class mean (the training rows of a small split) its
/// terms cancel, and two runtimes' summation orders then differ by 1e-3 of the score.
/// </remarks>
public sealed class MahalanobisSummary
{
    public MahalanobisSummary(FeaturePreprocessing preprocessing, int dimension, float[] whitening, float[] whitenedMeans, double ridge)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(whitening);
        ArgumentNullException.ThrowIfNull(whitenedMeans);
        if (dimension <= 0 || whitening.Length != (long)dimension * dimension || whitenedMeans.Length == 0 || whitenedMeans.Length % dimension != 0)
            throw new ArgumentException($"A {dimension}-d summary needs a {dimension}×{dimension} whitening matrix and k×{dimension} class means.");
        Preprocessing = preprocessing;
        Dimension = dimension;
        Whitening = whitening;
        WhitenedMeans = whitenedMeans;
        Ridge = ridge;
    }

    /// <summary>The head's preprocessing: the summary lives in the head's input space.</summary>
    public FeaturePreprocessing Preprocessing { get; }

    public int Dimension { get; }

    /// <summary>W, d × d row-major: the whitened row is <c>z = W x</c>.</summary>
    public float[] Whitening { get; }

    /// <summary>W μ_k, k × d row-major.</summary>
    public float[] WhitenedMeans { get; }

    /// <summary>The absolute ridge λ added to the covariance's diagonal.</summary>
    public double Ridge { get; }

    public int ClassCount => WhitenedMeans.Length / Dimension;

    /// <summary>The OOD score (higher = more out-of-distribution) of <paramref name="rows"/> raw (un-preprocessed) rows.</summary>
    public float[] Score(ReadOnlySpan<float> rows, BlasBackend? blas = null)
    {
        int d = Dimension;
        if (rows.Length % d != 0) throw new ArgumentException($"Rows must be a multiple of {d} floats.", nameof(rows));
        int n = rows.Length / d, k = ClassCount;
        var backend = blas ?? BlasBackend.Default;
        var x = new float[rows.Length];
        Preprocessing.Apply(rows, x, n, d);
        var z = new float[rows.Length];
        backend.Sgemm(false, true, n, d, d, 1f, x, d, Whitening, d, 0f, z, d);
        var scores = new float[n];
        var difference = new float[d];
        for (int r = 0; r < n; r++)
        {
            var zr = z.AsSpan(r * d, d);
            float best = float.PositiveInfinity;
            for (int c = 0; c < k; c++)
            {
                System.Numerics.Tensors.TensorPrimitives.Subtract(zr, WhitenedMeans.AsSpan(c * d, d), difference);
                best = MathF.Min(best, System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(difference));
            }
            scores[r] = best;
        }
        return scores;
    }
}
