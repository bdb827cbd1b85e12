using MathNet.Numerics.LinearAlgebra;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Ood;

/// <summary>
/// Fits a <see cref="MahalanobisSummary"/>: class means and one covariance shared by all classes (pooled within-class
/// scatter), in the head's input space. With fewer rows than dimensions the covariance is singular, so it is
/// regularised: <c>Σ + λI</c> with <c>λ = <see cref="RelativeRidge"/> · trace(Σ)/d</c>, a fraction of the average
/// variance, so the setting means the same for raw, unit-length or standardised features.
/// </summary>
public sealed class MahalanobisOod(double relativeRidge = MahalanobisOod.DefaultRelativeRidge)
{
    /// <summary>
    /// 0.1 of the mean per-dimension variance: strong enough that directions never seen in training (a few hundred rows
    /// in 1280-d) count, but not so much that the distance degenerates to a Euclidean one.
    /// </summary>
    public const double DefaultRelativeRidge = 0.1;

    public double RelativeRidge { get; } = relativeRidge > 0 && double.IsFinite(relativeRidge)
        ? relativeRidge
        : throw new ArgumentOutOfRangeException(nameof(relativeRidge), relativeRidge, "The relative ridge must be finite and > 0.");

    /// <summary>Learns the summary of <paramref name="train"/> after <paramref name="preprocessing"/>.</summary>
    /// <exception cref="TrainingDataException">A class of the split has no rows.</exception>
    public MahalanobisSummary Fit(EmbeddingSet train, FeaturePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(preprocessing);
        int n = train.Count, d = train.Dimension, k = train.Classes.Count;
        var x = new float[(long)n * d];
        preprocessing.Apply(train.Features, x, n, d);

        var means = Matrix<double>.Build.Dense(k, d);
        var counts = new int[k];
        for (int r = 0; r < n; r++)
        {
            int c = train.LabelArray[r];
            counts[c]++;
            for (int j = 0; j < d; j++) means[c, j] += x[(long)r * d + j];
        }
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0)
                throw new TrainingDataException($"Class '{train.Classes[c]}' has no rows in split '{train.Name}': its mean is undefined.", train.Name);
            for (int j = 0; j < d; j++) means[c, j] /= counts[c];
        }

        // Pooled within-class scatter: centred rows Xc, Σ = Xcᵀ Xc / n (one product).
        var centred = Matrix<double>.Build.Dense(n, d);
        for (int r = 0; r < n; r++)
        {
            int c = train.LabelArray[r];
            for (int j = 0; j < d; j++) centred[r, j] = x[(long)r * d + j] - means[c, j];
        }
        var covariance = centred.TransposeThisAndMultiply(centred) / n;
        double ridge = RelativeRidge * Math.Max(covariance.Trace() / d, 1e-12);
        for (int j = 0; j < d; j++) covariance[j, j] += ridge;

        // Σ + λI = L Lᵀ, so (Σ + λI)⁻¹ = L⁻ᵀ L⁻¹ and W = L⁻¹ whitens: ‖W(x − μ)‖² is the Mahalanobis distance².
        var lower = covariance.Cholesky().Factor;
        var whitening = LowerTriangularInverse.Of(lower);
        var whitenedMeans = means * whitening.Transpose();
        return new MahalanobisSummary(preprocessing, d, ToRowMajor(whitening), ToRowMajor(whitenedMeans), ridge);
    }

    private static float[] ToRowMajor(Matrix<double> matrix)
    {
        var result = new float[(long)matrix.RowCount * matrix.ColumnCount];
        for (int i = 0; i < matrix.RowCount; i++)
            for (int j = 0; j < matrix.ColumnCount; j++) result[(long)i * matrix.ColumnCount + j] = (float)matrix[i, j];
        return result;
    }
}
