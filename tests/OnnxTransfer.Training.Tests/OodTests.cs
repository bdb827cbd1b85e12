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
    public void TriangularInverseMatchesAGeneralSolve()
    {
        // A Cholesky factor of a covariance of real rows (200 dimensions, so the general solve stays quick).
        var train = TrainIn;
        int n = train.Count, d = 200;
        var rows = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, d, (r, j) => train.Row(r)[j]);
        var sigma = rows.TransposeThisAndMultiply(rows) / n;
        for (int j = 0; j < d; j++) sigma[j, j] += 1e-3;
        var lower = sigma.Cholesky().Factor;
        var fast = LowerTriangularInverse.Of(lower);
        var reference = lower.Solve(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(d));
        double scale = reference.Enumerate().Max(Math.Abs);
        double worst = (fast - reference).Enumerate().Max(Math.Abs) / scale;
        TestContext.Out.WriteLine($"triangular inverse vs general solve, d = {d}: worst difference {worst:E2} of the largest entry");
        Assert.That(worst, Is.LessThan(1e-9));
        Assert.That(fast[0, 1], Is.EqualTo(0.0), "the inverse of a lower-triangular matrix is lower triangular");
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
