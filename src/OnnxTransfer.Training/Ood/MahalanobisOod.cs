using System.Numerics.Tensors;
using OnnxTransfer.Training.Compute;
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
    public MahalanobisSummary Fit(EmbeddingSet train, FeaturePreprocessing preprocessing, ComputeOptions? compute = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var context = (compute ?? ComputeOptions.Default).CreateContext();
        int n = train.Count, d = train.Dimension, k = train.Classes.Count;
        var x = new float[(long)n * d];
        preprocessing.Apply(train.Features, x, n, d);

        var means = new double[(long)k * d];
        var counts = new int[k];
        for (int r = 0; r < n; r++)
        {
            int c = train.LabelArray[r];
            counts[c]++;
            var sum = means.AsSpan(c * d, d);
            var row = x.AsSpan(r * d, d);
            for (int j = 0; j < d; j++) sum[j] += row[j];
        }
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0)
                throw new TrainingDataException($"Class '{train.Classes[c]}' has no rows in split '{train.Name}': its mean is undefined.", train.Name);
            TensorPrimitives.Divide(means.AsSpan(c * d, d), counts[c], means.AsSpan(c * d, d));
        }

        // Pooled within-class scatter, then the ridge: a fraction of the mean per-dimension variance.
        var covariance = PooledScatter.LowerCovariance(x, n, d, train.LabelArray, means, context);
        double trace = 0;
        for (int j = 0; j < d; j++) trace += covariance[(long)j * d + j];
        double ridge = RelativeRidge * Math.Max(trace / d, 1e-12);
        for (int j = 0; j < d; j++) covariance[(long)j * d + j] += ridge;

        // Σ + λI = L Lᵀ, so (Σ + λI)⁻¹ = L⁻ᵀ L⁻¹ and W = L⁻¹ whitens: ‖W(x − μ)‖² is the Mahalanobis distance².
        CholeskyLower.FactorInPlace(covariance, d, context);
        var whitening = LowerTriangularInverse.Of(covariance, d, context);
        // W μ_k: W is lower triangular, so entry i sums W[i, :i+1]·μ_k[:i+1].
        var whitenedMeans = new float[(long)k * d];
        for (int c = 0; c < k; c++)
            for (int i = 0; i < d; i++)
                whitenedMeans[(long)c * d + i] = (float)TensorPrimitives.Dot(new ReadOnlySpan<double>(whitening, i * d, i + 1), new ReadOnlySpan<double>(means, c * d, i + 1));
        var whiteningSingle = new float[whitening.Length];
        for (long i = 0; i < whitening.Length; i++) whiteningSingle[i] = (float)whitening[i];
        return new MahalanobisSummary(preprocessing, d, whiteningSingle, whitenedMeans, ridge);
    }
}
