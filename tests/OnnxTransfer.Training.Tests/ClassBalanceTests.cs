using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// Balanced sampling (<c>--balance sampling</c>) on a generated imbalanced problem: overlapping classes at 90/6/4 share,
/// scored on a balanced test set, where a head fitted on the raw shares sacrifices the rare classes.
/// </summary>
public class ClassBalanceTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };
    private static readonly BlobProblem Problem = new(dimension: 24, classes: 3, separation: 2.2, seed: 7);
    private static readonly EmbeddingSet Train = Problem.Sample(1500, 8, "train", shares: [0.90, 0.06, 0.04]);
    private static readonly EmbeddingSet Test = Problem.Sample(1500, 9, "test");

    [Test]
    public void BalancedSamplingRaisesTheSoftmaxHeadsBalancedAccuracy()
    {
        var plain = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1 }, OpenBlas).Fit(Train);
        var sampled = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1, BalancedSampling = true, Seed = 1 }, OpenBlas).Fit(Train);
        AssertBalancedAccuracyRises(plain, sampled);
        // Oversampled to the largest class: every class trains on as many rows as class 0 has.
        var counts = sampled.Training!.TrainingRowsPerClass!;
        Assert.That(counts.Distinct().Count(), Is.EqualTo(1), string.Join(",", counts));
    }

    [Test]
    public void BalancedSamplingRaisesTheMlpsBalancedAccuracy()
    {
        var settings = new MlpSettings { HiddenLayers = [64], Epochs = 15, Seed = 2 };
        var plain = new MlpTrainer(settings, OpenBlas).Fit(Train);
        var sampled = new MlpTrainer(settings with { BalancedSampling = true }, OpenBlas).Fit(Train);
        AssertBalancedAccuracyRises(plain, sampled);
    }

    [Test]
    public void BalancedSamplingAndClassWeightsTogetherAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new MlpSettings { BalancedSampling = true, ClassWeights = ClassWeighting.Balanced }.Validate());
        Assert.Throws<ArgumentException>(() => new SoftmaxRegressionSettings { BalancedSampling = true, ClassWeights = ClassWeighting.Balanced }.Validate());
    }

    [Test]
    public void OversamplingKeepsEveryRowAndDrawsOnlyWithinAClass()
    {
        var positions = ClassOversampling.Positions(Train.Labelled, 3);
        var counts = Train.CountPerClass();
        Assert.That(positions, Has.Length.EqualTo(counts.Max() * counts.Length));
        Assert.That(positions.Distinct().Count(), Is.EqualTo(Train.Count), "every original row at least once");
        var perClass = new int[counts.Length];
        foreach (var p in positions) perClass[Train.LabelIndices[p]]++;
        Assert.That(perClass, Is.All.EqualTo(counts.Max()));
        Assert.That(positions, Is.Ordered);
    }

    [Test]
    public void EarlyStoppingScoresAgreeWithTheReportedMetrics()
    {
        // A confusion with an empty class and a never-predicted one, scored both ways.
        var random = new Random(5);
        int classes = 4, n = 300;
        var truth = new int[n];
        var probabilities = new float[n * classes];
        var confusion = new int[classes * classes];
        for (int i = 0; i < n; i++)
        {
            truth[i] = random.Next(3); // class 3 has no rows
            int predicted = random.NextDouble() < 0.7 ? truth[i] : random.Next(classes);
            probabilities[i * classes + predicted] = 1;
            confusion[truth[i] * classes + predicted]++;
        }
        var metrics = ClassificationMetrics.Compute("test", ["a", "b", "c", "d"], truth, probabilities);
        Assert.That(EarlyStoppingScore.From(confusion, classes, EarlyStoppingMonitor.Accuracy), Is.EqualTo(metrics.Accuracy).Within(1e-12));
        Assert.That(EarlyStoppingScore.From(confusion, classes, EarlyStoppingMonitor.BalancedAccuracy), Is.EqualTo(metrics.BalancedAccuracy).Within(1e-12));
        Assert.That(EarlyStoppingScore.From(confusion, classes, EarlyStoppingMonitor.MacroF1), Is.EqualTo(metrics.MacroF1).Within(1e-12));
    }

    private static void AssertBalancedAccuracyRises(Head plain, Head sampled)
    {
        var before = ClassificationMetrics.Evaluate(plain, Test, OpenBlas);
        var after = ClassificationMetrics.Evaluate(sampled, Test, OpenBlas);
        TestContext.Out.WriteLine($"balanced accuracy {before.BalancedAccuracy:F3} → {after.BalancedAccuracy:F3}, macro-F1 {before.MacroF1:F3} → {after.MacroF1:F3}");
        Assert.That(after.BalancedAccuracy, Is.GreaterThan(before.BalancedAccuracy + 0.03));
    }
}
