using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Ood;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The Mahalanobis OOD summary on the real hymenoptera cache with one class ("bees") held out of training: the score
/// against a distance computed here in double, AUROC of in-distribution val against the held-out class and against
/// generated noise, and a threshold that depends on training rows only.
/// </summary>
public class OodTests
{
    private const string HeldOutClass = "bees";

    private static EmbeddingSet Keep(EmbeddingSet split, bool heldOut, string name)
    {
        // Rebuilt rather than Select-ed: the kept split's class list must not name the held-out class.
        var rows = Enumerable.Range(0, split.Count).Where(r => (split.LabelOf(r) == HeldOutClass) == heldOut).ToArray();
        var features = rows.SelectMany(r => split.Row(r).ToArray()).ToArray();
        return EmbeddingSet.Create(name, features, split.Dimension, rows.Select(split.LabelOf).ToArray());
    }

    private static EmbeddingSet TrainIn => Keep(HymenopteraSplits.Train, false, "train-in");

    private static EmbeddingSet ValIn => Keep(HymenopteraSplits.Val, false, "val-in");

    private static EmbeddingSet ValHeldOut => Keep(HymenopteraSplits.Val, true, "val-heldout");

    [Test]
    public void ScoreIsTheSmallestRegularisedMahalanobisDistance()
    {
        var train = TrainIn;
        var summary = new MahalanobisOod().Fit(train, FeaturePreprocessing.Identity);
        var scores = summary.Score(ValIn.Features);

        // Reference in double, independently of the whitening: solve (Σ + λI) y = x − μ and take (x − μ)·y.
        int n = train.Count, d = train.Dimension;
        var mu = new double[d];
        for (int r = 0; r < n; r++) for (int j = 0; j < d; j++) mu[j] += train.Row(r)[j] / (double)n;
        var centred = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, d, (r, j) => train.Row(r)[j] - mu[j]);
        var sigma = centred.TransposeThisAndMultiply(centred) / n;
        for (int j = 0; j < d; j++) sigma[j, j] += summary.Ridge;
        var lu = sigma.LU();
        double worst = 0;
        for (int r = 0; r < 5; r++)
        {
            var diff = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(d, j => ValIn.Row(r)[j] - mu[j]);
            double expected = diff.DotProduct(lu.Solve(diff));
            worst = Math.Max(worst, Math.Abs(scores[r] - expected) / expected);
        }
        TestContext.Out.WriteLine($"worst relative difference to the double reference: {worst:E2}");
        Assert.That(worst, Is.LessThan(1e-3));
    }

    [Test]
    public void SeparatesNoiseAndReportsTheHeldOutClass()
    {
        var train = TrainIn;
        var summary = new MahalanobisOod().Fit(train, FeaturePreprocessing.Identity);
        var inScores = summary.Score(ValIn.Features);
        double noiseAuroc = OodMetrics.Auroc(inScores, summary.Score(OodNoise.Matched(train, 200, seed: 7).Features));
        double heldOutAuroc = OodMetrics.Auroc(inScores, summary.Score(ValHeldOut.Features));

        var threshold = OodThreshold.AtFalsePositiveRate(OodThreshold.OutOfFoldScores(train, FeaturePreprocessing.Identity, new MahalanobisOod()), 0.05);
        double valFpr = OodMetrics.FractionAbove(inScores, threshold);
        double heldOutTpr = OodMetrics.FractionAbove(summary.Score(ValHeldOut.Features), threshold);
        TestContext.Out.WriteLine($"mahalanobis, trained on ants only ({train.Count} rows): AUROC val-ants vs noise {noiseAuroc:F4}, " +
            $"vs held-out bees {heldOutAuroc:F4}; threshold at 5% out-of-fold FPR {threshold:G6}: val FPR {valFpr:F3}, bees TPR {heldOutTpr:F3}");

        Assert.That(noiseAuroc, Is.GreaterThan(0.9));
        Assert.That(heldOutAuroc, Is.InRange(0.0, 1.0));
        Assert.That(valFpr, Is.LessThan(0.5), "a threshold for 5% out-of-fold FPR flags most in-distribution val rows");
    }

    [Test]
    public void ThresholdIsChosenOnTrainingRowsOnly()
    {
        // The threshold's inputs are the training split and settings; the evaluation split is not one of them. Two
        // different val splits therefore give bit-identical thresholds, and a different training split a different one.
        float Threshold(EmbeddingSet train) =>
            OodThreshold.AtFalsePositiveRate(OodThreshold.OutOfFoldScores(train, FeaturePreprocessing.Identity, new MahalanobisOod()), 0.05);
        var train = TrainIn;
        float first = Threshold(train);
        Assert.That(Threshold(train), Is.EqualTo(first));
        var fewer = train.Select(Enumerable.Range(0, train.Count - 10).ToArray(), "train-fewer");
        Assert.That(Threshold(fewer), Is.Not.EqualTo(first));
    }

    [Test]
    public void CovarianceCholeskyAndTriangularInverseMatchMathNet()
    {
        // Real rows (200 of the 1280 dimensions, so MathNet's general solve stays quick), two classes, in blocks of 100 rows
        // so blocks and a short last block are summed: our pooled covariance, Cholesky factor and triangular inverse
        // against MathNet's product of the rows centred on their class means, factorisation and solve.
        var set = HymenopteraSplits.Train;
        int n = set.Count, d = 200, k = set.Classes.Count;
        var context = new ComputeOptions { DegreeOfParallelism = 3 }.CreateContext();
        Assert.That(n % 100, Is.Not.Zero);
        var rows = new float[n * d];
        for (int r = 0; r < n; r++) set.Row(r)[..d].CopyTo(rows.AsSpan(r * d, d));
        var means = new double[k * d];
        var counts = new int[k];
        for (int r = 0; r < n; r++) { counts[set.LabelArray[r]]++; for (int j = 0; j < d; j++) means[set.LabelArray[r] * d + j] += rows[r * d + j]; }
        for (int i = 0; i < means.Length; i++) means[i] /= counts[i / d];

        // Moments about a reference point (the first row), then the class terms subtracted.
        var about = Enumerable.Range(0, d).Select(j => (double)rows[j]).ToArray();
        var all = Enumerable.Range(0, n).ToArray();
        var covariance = PooledScatter.SecondMoments(rows, d, all, about, context, blockRows: 100);
        var (sums, sumCounts) = PooledScatter.ClassSums(rows, d, all, set.LabelArray, k, about);
        Assert.That(sumCounts, Is.EqualTo(counts));
        PooledScatter.ToCovariance(covariance, d, sums, sumCounts, context);
        var centred = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, d, (r, j) => rows[r * d + j] - means[set.LabelArray[r] * d + j]);
        var sigma = centred.TransposeThisAndMultiply(centred) / n;
        for (int j = 0; j < d; j++) sigma[j, j] += 1e-3;
        for (int j = 0; j < d; j++) covariance[j * d + j] += 1e-3;
        double Worst(double[] ours, MathNet.Numerics.LinearAlgebra.Matrix<double> reference, bool lowerOnly)
        {
            double scale = reference.Enumerate().Max(Math.Abs), worst = 0;
            for (int i = 0; i < d; i++)
                for (int j = 0; j < (lowerOnly ? i + 1 : d); j++) worst = Math.Max(worst, Math.Abs(ours[i * d + j] - reference[i, j]) / scale);
            return worst;
        }
        double covarianceWorst = Worst(covariance, sigma, lowerOnly: true);

        CholeskyLower.FactorInPlace(covariance, d, context);
        var lower = sigma.Cholesky().Factor;
        double choleskyWorst = Worst(covariance, lower, lowerOnly: false);
        var inverse = LowerTriangularInverse.Of(covariance, d, context);
        var reference = lower.Solve(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(d));
        double inverseWorst = Worst(inverse, reference, lowerOnly: false);
        TestContext.Out.WriteLine($"d = {d}, {n} rows: worst difference of the largest entry: covariance {covarianceWorst:E2}, Cholesky {choleskyWorst:E2}, inverse {inverseWorst:E2}");
        Assert.That(covarianceWorst, Is.LessThan(1e-12));
        Assert.That(choleskyWorst, Is.LessThan(1e-10), "the factor, zeros above the diagonal included");
        Assert.That(inverseWorst, Is.LessThan(1e-9), "the inverse, zeros above the diagonal included");

        var notPositive = new double[] { 1, 0, 2, 1 }; // [[1, 2], [2, 1]]: eigenvalues 3 and −1
        Assert.That(() => CholeskyLower.FactorInPlace(notPositive, 2, context), Throws.ArgumentException.With.Message.Contains("not positive definite"));
    }

    [Test]
    public void OutOfFoldSummariesFromTheTotalMinusTheFoldEqualFreshFitsOnTheOtherFolds()
    {
        // The threshold's out-of-fold scores come from summaries whose moments are all rows' minus the held fold's; fitting
        // each fold's other rows from scratch (the generic path) must give the same scores up to rounding, and the summary
        // of all rows from the same passes must be Fit's, bit for bit.
        var train = HymenopteraSplits.Train;
        var preprocessing = new FeaturePreprocessing(true, null, null);
        var fitter = new MahalanobisOod();
        var fast = OodThreshold.OutOfFoldScores(train, preprocessing, fitter, 5, null, out var allRows);
        var fresh = OodThreshold.OutOfFoldScores(train, 5, (fit, held) => fitter.Fit(fit, preprocessing).Score(held.Features));
        double worst = fast.Zip(fresh, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(b))).Max();
        TestContext.Out.WriteLine($"{train.Count} rows, 5 folds: worst |Δ|/max(1,|score|) of the out-of-fold scores {worst:E2}; scores {fresh.Min():G4}–{fresh.Max():G4}");
        Assert.That(worst, Is.LessThan(1e-4));
        Assert.That(fast, Is.Not.EqualTo(new float[fast.Length]).AsCollection, "every row was scored");

        var direct = fitter.Fit(train, preprocessing);
        Assert.That(allRows.Whitening, Is.EqualTo(direct.Whitening).AsCollection);
        Assert.That(allRows.WhitenedMeans, Is.EqualTo(direct.WhitenedMeans).AsCollection);

        // A class whose rows all fall in one fold leaves a fit set without it: refused, naming the fold's split.
        int[] Rows(string label, int count) => [.. Enumerable.Range(0, train.Count).Where(r => train.LabelOf(r) == label).Take(count)];
        var lonely = train.Select([.. Rows("ants", 20), .. Rows("bees", 1)], "few");
        Assert.That(() => OodThreshold.OutOfFoldScores(lonely, preprocessing, fitter),
            Throws.TypeOf<TrainingDataException>().With.Message.Contains("has no rows in split 'few-fit0'"));
    }

    [Test]
    public void TheSummaryIsBitIdenticalForAnyNumberOfWorkers()
    {
        var train = TrainIn;
        var one = new MahalanobisOod().Fit(train, FeaturePreprocessing.Identity, new ComputeOptions { DegreeOfParallelism = 1 });
        var four = new MahalanobisOod().Fit(train, FeaturePreprocessing.Identity, new ComputeOptions { DegreeOfParallelism = 4 });
        Assert.That(four.Whitening, Is.EqualTo(one.Whitening).AsCollection);
        Assert.That(four.WhitenedMeans, Is.EqualTo(one.WhitenedMeans).AsCollection);
        Assert.That(four.Ridge, Is.EqualTo(one.Ridge));
    }

    [Test]
    public void AurocAndQuantileOnKnownScores()
    {
        Assert.That(OodMetrics.Auroc([1f, 2f, 3f], [4f, 5f]), Is.EqualTo(1.0));
        Assert.That(OodMetrics.Auroc([4f, 5f], [1f, 2f, 3f]), Is.EqualTo(0.0));
        Assert.That(OodMetrics.Auroc([1f, 2f], [1f, 2f]), Is.EqualTo(0.5));
        var scores = Enumerable.Range(1, 100).Select(i => (float)i).ToArray();
        float threshold = OodThreshold.AtFalsePositiveRate(scores, 0.05);
        Assert.That(OodMetrics.FractionAbove(scores, threshold), Is.EqualTo(0.05));
    }
}
