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
    public MahalanobisSummary Fit(EmbeddingSet train, FeaturePreprocessing preprocessing, ComputeOptions? compute = null) =>
        FitOutOfFold(train, preprocessing, fold: [], folds: 0, compute, use: (_, _, _) => { });

    /// <summary>
    /// The summaries of the rows outside each fold, handed to <paramref name="use"/> one at a time (fold, its rows,
    /// summary) for the folds that hold rows, and then the summary of all rows (returned; with no folds, that is
    /// <see cref="Fit"/>): the fit set's moments are the total's minus the held fold's, so this makes one pass over all
    /// rows and one over each fold.
    /// </summary>
    /// <exception cref="TrainingDataException">A class has no rows, or none outside some fold.</exception>
    internal MahalanobisSummary FitOutOfFold(EmbeddingSet train, FeaturePreprocessing preprocessing, int[] fold, int folds, ComputeOptions? compute,
        Action<int, int[], MahalanobisSummary> use)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var context = (compute ?? ComputeOptions.Default).CreateContext();
        var rows = new Rows(train, preprocessing);
        int k = train.Classes.Count;
        var all = Enumerable.Range(0, train.Count).ToArray();
        var (totalSums, totalCounts) = PooledScatter.ClassSums(rows.X, rows.D, all, train.LabelArray, k, rows.Reference);
        CheckEveryClassHasRows(totalCounts, train.Classes, train.Name);
        var total = PooledScatter.SecondMoments(rows.X, rows.D, all, rows.Reference, context);
        for (int f = 0; f < folds; f++)
        {
            var held = all.Where(r => fold[r] == f).ToArray();
            if (held.Length == 0) continue;
            // The fit set (every row outside fold f): the total's class sums, counts and moments minus the fold's.
            var (sums, heldCounts) = PooledScatter.ClassSums(rows.X, rows.D, held, train.LabelArray, k, rows.Reference);
            TensorPrimitives.Subtract(totalSums, sums, sums);
            var counts = totalCounts.Zip(heldCounts, (a, b) => a - b).ToArray();
            CheckEveryClassHasRows(counts, train.Classes, $"{train.Name}-fit{f}");
            var moments = PooledScatter.SecondMoments(rows.X, rows.D, held, rows.Reference, context);
            TensorPrimitives.Subtract(total, moments, moments);
            use(f, held, Summarize(rows, moments, sums, counts, preprocessing, context));
        }
        return Summarize(rows, total, totalSums, totalCounts, preprocessing, context); // last: it consumes the total
    }

    private static void CheckEveryClassHasRows(int[] counts, IReadOnlyList<string> classes, string splitName)
    {
        for (int c = 0; c < counts.Length; c++)
            if (counts[c] == 0)
                throw new TrainingDataException($"Class '{classes[c]}' has no rows in split '{splitName}': its mean is undefined.", splitName);
    }

    /// <summary>The split's rows after the preprocessing, and the mean of them all: the point moments are taken about.</summary>
    private sealed class Rows
    {
        public Rows(EmbeddingSet train, FeaturePreprocessing preprocessing)
        {
            int n = train.Count;
            D = train.Dimension;
            X = new float[(long)n * D];
            preprocessing.Apply(train.Features, X, n, D);
            Reference = new double[D];
            for (int r = 0; r < n; r++)
            {
                var row = X.AsSpan(r * D, D);
                for (int j = 0; j < D; j++) Reference[j] += row[j];
            }
            TensorPrimitives.Divide(Reference, Math.Max(n, 1), Reference);
        }

        public int D { get; }

        public float[] X { get; }

        public double[] Reference { get; }
    }

    /// <summary>Moments about the reference and class sums of one fit set → the regularised whitening and whitened means.</summary>
    private MahalanobisSummary Summarize(Rows rows, double[] moments, double[] classSums, int[] classCounts, FeaturePreprocessing preprocessing,
        ComputeContext context)
    {
        int d = rows.D, k = classCounts.Length;
        var means = new double[(long)k * d];
        for (int c = 0; c < k; c++)
        {
            var mean = means.AsSpan(c * d, d);
            TensorPrimitives.Divide(classSums.AsSpan(c * d, d), classCounts[c], mean);
            TensorPrimitives.Add(mean, rows.Reference, mean);
        }

        // Pooled within-class scatter, then the ridge: a fraction of the mean per-dimension variance.
        var covariance = moments;
        PooledScatter.ToCovariance(covariance, d, classSums, classCounts, context);
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
