using OnnxTransfer.TestCaches;
using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The regularisation-path C search: warm-started path solutions equal cold fits, and it picks the C the exhaustive
/// 45-value grid picks (on the real hymenoptera cache and on generated sets) with fewer fits, stopping past the peak.
/// </summary>
public class PathSearchTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };

    [Test]
    public void PathSolutionEqualsColdFitAtTheSameC()
    {
        var train = new BlobProblem(48, 4, 1.5, 21).Sample(1500, 22);
        var settings = new SoftmaxRegressionSettings { Tolerance = 1e-6 };
        var context = OpenBlas.CreateContext();
        var prepared = new PreparedSplit(train, settings.Preprocessing, settings.ClassWeights, context);
        var theta = new double[SoftmaxRegressionTrainer.ParameterCount(prepared, settings)];
        foreach (var c in SoftmaxRegressionSweep.LogGrid(1e-4, 10, 6))
        {
            // Walk: θ carries over from the previous C (strong → weak L2).
            var path = SoftmaxRegressionTrainer.FitFrom(prepared, settings with { C = c }, context, theta);
            var cold = new SoftmaxRegressionTrainer(settings with { C = c }, OpenBlas).Fit(train);
            Assert.That(path.Training!.Optimization!.Converged, Is.True, $"C={c}: {path.Training.Optimization.StopReason}");
            var p = path.PredictProba(train, OpenBlas);
            var q = cold.PredictProba(train, OpenBlas);
            double maxProbability = 0;
            for (int i = 0; i < p.Length; i++) maxProbability = Math.Max(maxProbability, Math.Abs(p[i] - q[i]));
            Assert.That(maxProbability, Is.LessThan(1e-3), $"C={c}: probabilities of the path and the cold fit");
            double maxWeight = 0, scale = 0;
            for (int i = 0; i < path.Layers[0].Weights.Length; i++)
            {
                maxWeight = Math.Max(maxWeight, Math.Abs(path.Layers[0].Weights[i] - cold.Layers[0].Weights[i]));
                scale = Math.Max(scale, Math.Abs(cold.Layers[0].Weights[i]));
            }
            Assert.That(maxWeight, Is.LessThan(1e-2 * scale), $"C={c}: weights of the path and the cold fit");
        }
    }

    [Test]
    public void SearchRefitEqualsColdFitAtTheChosenC()
    {
        var train = new BlobProblem(32, 3, 1.2, 5).Sample(900, 6);
        var result = new SoftmaxPathSearch(compute: OpenBlas).Fit(train);
        var cold = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = result.Best.C!.Value }, OpenBlas).Fit(train);
        var p = result.Head.PredictProba(train, OpenBlas);
        var q = cold.PredictProba(train, OpenBlas);
        for (int i = 0; i < p.Length; i++) Assert.That(p[i], Is.EqualTo(q[i]).Within(2e-3));
        Assert.That(result.Head.Training!.Optimization!.Converged, Is.True);
    }

    [Test]
    public void ChoosesTheExhaustiveGridsCOnHymenoptera()
    {
        var train = EmbeddingDataset.Open(HymenopteraCache.Directory).Load("train");
        AssertSameChoiceAsExhaustive(train, out var path);
        TestContext.Out.WriteLine($"hymenoptera: C={path.Best.C} cv {path.Best.MeanScore:F4}, {path.Points.Count} points");
    }

    // Separations giving about 65% and 85% held-out accuracy. (On curves flat at chance level, e.g. separation 1.0 here at
    // 47%, a bump of one held-out row three coarse steps past the path's stop can differ: 0.4732 vs 0.4728.)
    [TestCase(1.6, 7)]
    [TestCase(2.4, 8)]
    public void ChoosesTheExhaustiveGridsCOnGeneratedSetsWithFewerFits(double separation, int seed)
    {
        var train = new BlobProblem(64, 5, separation, seed).Sample(2500, seed + 1);
        AssertSameChoiceAsExhaustive(train, out var path);
        Assert.That(path.Points.Count, Is.LessThan(45 / 2), "the path stops past the peak instead of fitting the whole grid");
        Assert.That(path.Points.Max(p => p.C!.Value), Is.LessThan(1e5), "never walks to the weakest C once the score has passed its peak");
    }

    private static void AssertSameChoiceAsExhaustive(EmbeddingSet train, out SweepResult path)
    {
        path = new SoftmaxPathSearch(compute: OpenBlas).Fit(train);
        var exhaustive = new SoftmaxRegressionSweep(grid: SweepGrid.Preset("softmax-l2").C, compute: OpenBlas).Fit(train);
        TestContext.Out.WriteLine($"path {path.Best.Name} {path.Best.MeanScore:F5} ({path.Points.Count} points: {string.Join(" ", path.Points.Select(p => p.Name + ":" + p.MeanScore.ToString("F4")))}); " +
                                  $"exhaustive {exhaustive.Best.Name} {exhaustive.Best.MeanScore:F5} ({string.Join(" ", exhaustive.Points.Select(p => p.Name + ":" + p.MeanScore.ToString("F4")))})");
        // Every path point lies on the 45-value grid.
        foreach (var point in path.Points)
            Assert.That(exhaustive.Points.Any(e => Math.Abs(Math.Log10(e.C!.Value / point.C!.Value)) < 1e-9), Is.True, $"{point.Name} is on the grid");
        // Path folds stop at 10× the gradient tolerance, so a score may differ by one held-out row (1/n of the mean).
        Assert.That(path.Best.MeanScore, Is.EqualTo(exhaustive.Best.MeanScore).Within(1.0 / train.Count + 1e-12), "CV score of the choice");
        Assert.That(path.Best.C!.Value, Is.EqualTo(exhaustive.Best.C!.Value).Within(1e-9 * exhaustive.Best.C!.Value), "the same C");
    }
}
