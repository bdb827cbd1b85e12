using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Tests;

public class SweepTests
{
    private static ComputeOptions Workers(int count) => new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = count };

    // Few rows, many features, heavy noise: the best C is neither the smallest nor the largest.
    private static readonly BlobProblem Problem = new(60, 3, 2.5, 31);

    [Test]
    public void StratifiedFoldsPartitionEveryClassEvenly()
    {
        var set = Problem.Sample(103, 1, shares: [5, 3, 2]);
        var assignment = StratifiedSplit.Folds(set, 5, seed: 4);
        Assert.That(StratifiedSplit.Folds(set, 5, seed: 4), Is.EqualTo(assignment), "seeded");
        Assert.That(StratifiedSplit.Folds(set, 5, seed: 5), Is.Not.EqualTo(assignment));
        var counts = set.CountPerClass();
        for (int c = 0; c < 3; c++)
        {
            for (int fold = 0; fold < 5; fold++)
            {
                int inFold = Enumerable.Range(0, set.Count).Count(i => assignment[i] == fold && set.LabelIndices[i] == c);
                Assert.That(inFold, Is.InRange(counts[c] / 5, (counts[c] + 4) / 5), $"class {c} fold {fold}");
            }
        }
        var (train, heldOut) = StratifiedSplit.FoldRows(assignment, 2);
        Assert.That(train.Concat(heldOut).Order(), Is.EqualTo(Enumerable.Range(0, set.Count)));
    }

    [Test]
    public void TooFewRowsOfAClassForTheFoldsIsRefused()
    {
        var set = Problem.Sample(40, 2, shares: [10, 10, 0.3]);
        int smallest = set.CountPerClass().Min();
        Assert.That(smallest, Is.InRange(1, 4), "the seeded sample has a class with fewer rows than folds");
        var error = Assert.Throws<TrainingDataException>(() => new SoftmaxRegressionSweep(grid: [1.0]).Fit(set));
        Assert.That(error!.Message, Does.Contain("fewer than the 5 folds").And.Contain("Use at most"));
    }

    [Test]
    public void ParallelSweepEqualsSequentialSweepBitForBit()
    {
        var train = Problem.Sample(240, 3);
        var grid = SoftmaxRegressionSweep.LogGrid(1e-4, 1e2, 7);
        SweepResult Run(int workers) => new SoftmaxRegressionSweep(new SoftmaxRegressionSettings(), grid, ValidationScheme.KFold(4, seed: 1),
            compute: Workers(workers)).Fit(train);
        var sequential = Run(1);
        foreach (int workers in new[] { 2, 4 })
        {
            var parallel = Run(workers);
            Assert.That(parallel.BestIndex, Is.EqualTo(sequential.BestIndex));
            for (int p = 0; p < grid.Length; p++)
            {
                Assert.That(parallel.Points[p].FoldScores, Is.EqualTo(sequential.Points[p].FoldScores), $"point {p}, {workers} workers");
                Assert.That(parallel.Points[p].MeanLogLoss, Is.EqualTo(sequential.Points[p].MeanLogLoss), $"point {p}, {workers} workers");
            }
            Assert.That(SoftmaxRegressionTests.HeadBytes(parallel.Head), Is.EqualTo(SoftmaxRegressionTests.HeadBytes(sequential.Head)));
        }
    }

    [Test]
    public void SweepPicksAnInteriorCAndRefitsItOnTheWholeTrainingSplit()
    {
        var train = Problem.Sample(240, 4);
        var test = Problem.Sample(600, 5, "test");
        var grid = SoftmaxRegressionSweep.LogGrid(1e-6, 1e5, 12);
        var result = new SoftmaxRegressionSweep(new SoftmaxRegressionSettings(), grid, ValidationScheme.KFold(5), SelectionMetric.LogLoss, Workers(2)).Fit(train);

        Assert.That(result.Points, Has.Count.EqualTo(12));
        Assert.That(result.BestIndex, Is.InRange(1, 10), "neither end of the grid");
        Assert.That(result.Points.Min(p => p.MeanScore), Is.EqualTo(result.Best.MeanScore));
        Assert.That(result.Points.All(p => p.FoldScores.Count == 5));
        Assert.That(result.Validation, Does.Contain("5-fold"));
        Assert.That(result.Head.Training!.TrainingRows, Is.EqualTo(240));
        Assert.That(result.Head.Training.Settings, Does.Contain(new KeyValuePair<string, string>("C", result.Best.C!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        // The chosen C generalises at least as well as the grid's ends on fresh data.
        double Loss(double c) => ClassificationMetrics.Evaluate(new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = c }).Fit(train), test).LogLoss;
        double chosen = ClassificationMetrics.Evaluate(result.Head, test).LogLoss;
        Assert.That(chosen, Is.LessThan(Loss(grid[0])));
        Assert.That(chosen, Is.LessThan(Loss(grid[^1])));
    }

    [Test]
    public void FoldScoresAreThoseOfAFitOnTheFoldsTrainingRowsAlone()
    {
        // Each fold standardises with its own training rows: a fit made by hand on those rows scores the same.
        var train = Problem.Sample(150, 6);
        var scheme = ValidationScheme.KFold(3, seed: 2);
        var result = new SoftmaxRegressionSweep(new SoftmaxRegressionSettings { Tolerance = 1e-7 }, [0.01, 0.1], scheme, SelectionMetric.LogLoss, Workers(2)).Fit(train);
        var assignment = StratifiedSplit.Folds(train, 3, seed: 2);
        for (int fold = 0; fold < 3; fold++)
        {
            var (fitRows, heldOutRows) = StratifiedSplit.FoldRows(assignment, fold);
            var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.1, Tolerance = 1e-7 }).Fit(train.Select(fitRows, "fit"));
            double loss = ClassificationMetrics.Evaluate(head, train.Select(heldOutRows, "held-out")).LogLoss;
            Assert.That(result.Points[1].FoldScores[fold], Is.EqualTo(loss).Within(1e-4), $"fold {fold}");
        }
    }

    [Test]
    public void ExplicitValidationSplitReplacesTheFolds()
    {
        var train = Problem.Sample(150, 7);
        var validation = Problem.Sample(90, 8, "val");
        var result = new SoftmaxRegressionSweep(grid: [0.001, 1.0], compute: Workers(2)).Fit(train, validation);
        Assert.That(result.Validation, Is.EqualTo("validation split 'val'"));
        Assert.That(result.Points.All(p => p.FoldScores.Count == 1));
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1.0 }).Fit(train);
        Assert.That(result.Points[1].MeanAccuracy, Is.EqualTo(ClassificationMetrics.Evaluate(head, validation).Accuracy).Within(0.02));
    }

    [Test]
    public void MlpSweepChoosesTheCandidateThatLearnsAndIsScheduleIndependent()
    {
        var train = Synthetic.Xor(400, 4, 9);
        var baseSettings = new MlpSettings { HiddenLayers = [16], Epochs = 15, BatchSize = 32, ValidationFraction = 0, EarlyStoppingPatience = null };
        var candidates = MlpSweep.Grid(baseSettings, learningRates: [1e-5, 1e-2], dropouts: [0.0, 0.1]);
        Assert.That(candidates, Has.Count.EqualTo(4));
        SweepResult Run(int workers) => new MlpSweep(candidates, ValidationScheme.KFold(3), compute: Workers(workers)).Fit(train);
        var parallel = Run(2);
        Assert.That(parallel.Best.Mlp!.LearningRate, Is.EqualTo(1e-2));
        Assert.That(parallel.Best.MeanAccuracy, Is.GreaterThan(0.9));
        Assert.That(parallel.Points.Where(p => p.Mlp!.LearningRate == 1e-5).Max(p => p.MeanAccuracy), Is.LessThan(0.8));
        Assert.That(parallel.Head.Training!.TrainingRows, Is.EqualTo(400));

        var sequential = Run(1);
        for (int p = 0; p < candidates.Count; p++)
            Assert.That(parallel.Points[p].FoldScores, Is.EqualTo(sequential.Points[p].FoldScores), $"candidate {p}");
        Assert.That(SoftmaxRegressionTests.HeadBytes(parallel.Head), Is.EqualTo(SoftmaxRegressionTests.HeadBytes(sequential.Head)));
    }

    [Test]
    public void InvalidSweepSettingsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new SoftmaxRegressionSweep(grid: []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionSweep(grid: [1, -1]));
        Assert.Throws<ArgumentException>(() => new SoftmaxRegressionSweep(grid: [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionSweep(validation: ValidationScheme.KFold(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionSweep(validation: ValidationScheme.HoldOut(1.5)));
        Assert.Throws<ArgumentException>(() => new MlpSweep([]));
        Assert.That(SoftmaxRegressionSweep.LogGrid(1e-6, 1e5, 12), Is.EqualTo(Enumerable.Range(-6, 12).Select(e => Math.Pow(10, e))).Within(1e-9).Percent);
    }
}
