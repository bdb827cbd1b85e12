using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Tests;

public class MlpTrainerTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };

    // Mechanism tests pin the plain recipe (no dropout, light decay, constant rate, loss-based stopping), not the defaults.
    private static MlpSettings Small => new()
    {
        HiddenLayers = [32], Epochs = 30, BatchSize = 64, LearningRate = 1e-2, ValidationFraction = 0, EarlyStoppingPatience = null,
        Dropout = 0, WeightDecay = 1e-4, Schedule = LearningRateSchedule.Constant, Monitor = EarlyStoppingMonitor.Loss,
    };

    [Test]
    public void LearnsXorWhereSoftmaxRegressionCannot()
    {
        var train = Synthetic.Xor(1200, 4, 1);
        var test = Synthetic.Xor(400, 4, 2, "test");
        var mlp = new MlpTrainer(Small, OpenBlas).Fit(train);
        var linear = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(train);
        Assert.That(Reference.Accuracy(mlp, test), Is.GreaterThan(0.95));
        Assert.That(Reference.Accuracy(linear, test), Is.LessThan(0.7));
        Assert.That(mlp.Kind, Is.EqualTo(Head.MlpKind));
        Assert.That(mlp.Layers.Select(l => (l.InputCount, l.OutputCount, l.Activation)),
            Is.EqualTo(new[] { (4, 32, Activation.Relu), (32, 2, Activation.Identity) }));
    }

    [Test]
    public void GeluNetworkWithTwoHiddenLayersSeparatesBlobs()
    {
        var problem = new BlobProblem(20, 4, 4.0, 3);
        var train = problem.Sample(800, 4);
        var test = problem.Sample(400, 5, "test");
        var head = new MlpTrainer(Small with { HiddenLayers = [32, 16], Activation = Activation.Gelu, Epochs = 10 }, OpenBlas).Fit(train);
        Assert.That(head.Layers.Select(l => l.Activation), Is.EqualTo(new[] { Activation.Gelu, Activation.Gelu, Activation.Identity }));
        // Blobs are linearly separable up to noise: the MLP should do about as well as the (optimal) linear model.
        double linear = Reference.Accuracy(new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(train), test);
        double mlp = Reference.Accuracy(head, test);
        Assert.That(mlp, Is.GreaterThan(0.9));
        Assert.That(mlp, Is.GreaterThan(linear - 0.03), $"linear {linear}");
    }

    [Test]
    public void SameSeedGivesIdenticalBytesForAnyWorkerCountAndAnotherSeedDoesNot()
    {
        var train = Synthetic.Xor(700, 6, 3);
        var settings = Small with { HiddenLayers = [48, 24], Dropout = 0.3, Epochs = 4, ValidationFraction = 0.2, EarlyStoppingPatience = 2, Seed = 7 };
        byte[] Fit(int workers, int seed = 7) => SoftmaxRegressionTests.HeadBytes(
            new MlpTrainer(settings with { Seed = seed }, new ComputeOptions { Blas = OpenBlas.Blas, DegreeOfParallelism = workers }).Fit(train));
        var reference = Fit(2);
        Assert.That(Fit(2), Is.EqualTo(reference));
        Assert.That(Fit(1), Is.EqualTo(reference));
        Assert.That(Fit(3), Is.EqualTo(reference));
        Assert.That(Fit(2, seed: 8), Is.Not.EqualTo(reference));
    }

    [Test]
    public void OpenBlasAndManagedBackendsTrainTheSameHeadWithinFloatTolerance()
    {
        var problem = new BlobProblem(16, 3, 2.0, 9);
        var train = problem.Sample(300, 10);
        var test = problem.Sample(100, 11, "test");
        var settings = Small with { Epochs = 3, Activation = Activation.Gelu };
        var a = new MlpTrainer(settings, OpenBlas).Fit(train).PredictProba(test);
        var b = new MlpTrainer(settings, new ComputeOptions { Blas = BlasBackend.Managed, DegreeOfParallelism = 2 }).Fit(train).PredictProba(test);
        for (int i = 0; i < a.Length; i++) Assert.That(b[i], Is.EqualTo(a[i]).Within(1e-3), $"probability {i}");
    }

    [Test]
    public void EarlyStoppingRestoresTheBestEpoch()
    {
        // Few noisy rows and a wide network: validation loss bottoms out early, then rises as it overfits.
        var problem = new BlobProblem(30, 3, 1.2, 12);
        var train = problem.Sample(150, 13);
        var validation = problem.Sample(150, 14, "val");
        var settings = Small with { HiddenLayers = [256], Epochs = 200, LearningRate = 3e-3, WeightDecay = 0, EarlyStoppingPatience = 5 };
        var head = new MlpTrainer(settings, OpenBlas).Fit(train, validation);
        var history = head.Training!.History!;
        Assert.That(history.StoppedEarly, Is.True);
        Assert.That(history.Epochs.Count, Is.EqualTo(history.BestEpoch + 5));
        Assert.That(history.ValidationRows, Is.EqualTo(150));
        var best = history.Epochs[history.BestEpoch - 1];
        Assert.That(history.Epochs.Min(e => e.ValidationLoss), Is.EqualTo(best.ValidationLoss));
        // The head holds the best epoch's weights: its validation log-loss is the recorded minimum.
        var p = head.PredictProba(validation);
        double loss = Enumerable.Range(0, validation.Count).Average(i => -Math.Log(Math.Max(p[i * 3 + validation.LabelIndices[i]], 1e-12f)));
        Assert.That(loss, Is.EqualTo(best.ValidationLoss).Within(1e-5));
        Assert.That(history.Epochs.Last().ValidationLoss, Is.GreaterThan(best.ValidationLoss));
    }

    [Test]
    public void ValidationIsCarvedOutOfTrainingWhenNotGiven()
    {
        var train = new BlobProblem(8, 3, 2.0, 15).Sample(300, 16);
        var head = new MlpTrainer(Small with { Epochs = 3, ValidationFraction = 0.2, EarlyStoppingPatience = 10 }, OpenBlas).Fit(train);
        var history = head.Training!.History!;
        Assert.That(history.ValidationRows, Is.EqualTo(60));
        Assert.That(head.Training.TrainingRows, Is.EqualTo(240));
        Assert.That(head.Training.TrainingRowsPerClass, Is.EqualTo(new[] { 80, 80, 80 }));
        Assert.That(history.Epochs.All(e => double.IsFinite(e.ValidationLoss) && e.ValidationAccuracy is >= 0 and <= 1));
    }

    [Test]
    public void LabelSmoothingCapsConfidence()
    {
        var train = new BlobProblem(10, 4, 8.0, 17).Sample(400, 18);
        double MeanTopProbability(double smoothing)
        {
            var head = new MlpTrainer(Small with { Epochs = 40, LabelSmoothing = smoothing }, OpenBlas).Fit(train);
            var p = head.PredictProba(train);
            return Enumerable.Range(0, train.Count).Average(i => p.AsSpan(i * 4, 4).ToArray().Max());
        }
        double sharp = MeanTopProbability(0), smoothed = MeanTopProbability(0.2);
        Assert.That(sharp, Is.GreaterThan(0.99));
        // The smoothed target of the true class is 1 − 0.2 + 0.2/4 = 0.85.
        Assert.That(smoothed, Is.EqualTo(0.85).Within(0.03));
    }

    [Test]
    public void WeightDecayShrinksWeightsForAdamAndAdamW()
    {
        var train = new BlobProblem(10, 3, 3.0, 19).Sample(300, 20);
        double Norm(MlpOptimizer optimizer, double decay)
        {
            var head = new MlpTrainer(Small with { Epochs = 10, Optimizer = optimizer, WeightDecay = decay }, OpenBlas).Fit(train);
            return head.Layers.Sum(l => l.Weights.Sum(w => (double)w * w));
        }
        Assert.That(Norm(MlpOptimizer.AdamW, 0.5), Is.LessThan(0.8 * Norm(MlpOptimizer.AdamW, 0)));
        Assert.That(Norm(MlpOptimizer.Adam, 0.05), Is.LessThan(0.8 * Norm(MlpOptimizer.Adam, 0)));
    }

    [Test]
    public void ScheduleShapesTheLearningRate()
    {
        const int perEpoch = 10, total = 100;
        var cosine = LearningRateSchedule.Cosine(warmupEpochs: 2, minimumFactor: 0.1);
        Assert.That(cosine.At(1.0, 0, perEpoch, total), Is.EqualTo(1.0 / 20).Within(1e-12));
        Assert.That(cosine.At(1.0, 19, perEpoch, total), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(cosine.At(1.0, 20, perEpoch, total), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(cosine.At(1.0, 99, perEpoch, total), Is.EqualTo(0.1).Within(1e-12));
        Assert.That(cosine.At(1.0, 60, perEpoch, total), Is.InRange(0.1, 1.0));
        var step = LearningRateSchedule.StepDecay(stepEpochs: 3, gamma: 0.5);
        Assert.That(step.At(1.0, 29, perEpoch, total), Is.EqualTo(1.0));
        Assert.That(step.At(1.0, 30, perEpoch, total), Is.EqualTo(0.5));
        Assert.That(step.At(1.0, 60, perEpoch, total), Is.EqualTo(0.25));
        Assert.That(LearningRateSchedule.Constant.At(0.3, 55, perEpoch, total), Is.EqualTo(0.3));

        // The history records the rate in force at each epoch's end.
        var train = new BlobProblem(6, 2, 3.0, 21).Sample(128, 22);
        var head = new MlpTrainer(Small with { Epochs = 4, BatchSize = 32, Schedule = LearningRateSchedule.StepDecay(2, 0.1) }, OpenBlas).Fit(train);
        Assert.That(head.Training!.History!.Epochs.Select(e => e.LearningRate),
            Is.EqualTo(new[] { 1e-2, 1e-2, 1e-3, 1e-3 }).Within(1e-12));
    }

    [Test]
    public void WarmStartContinuesFromTheGivenHead()
    {
        var problem = new BlobProblem(12, 3, 1.5, 23);
        var train = problem.Sample(400, 24);
        var settings = Small with { Epochs = 5 };
        var first = new MlpTrainer(settings, OpenBlas).Fit(train);
        var continued = new MlpTrainer(settings, OpenBlas).Fit(train, warmStart: first);
        var cold = first.Training!.History!.Epochs;
        var warm = continued.Training!.History!.Epochs;
        Assert.That(warm[0].TrainLoss, Is.LessThan(cold[0].TrainLoss));
        Assert.That(warm[0].TrainLoss, Is.LessThan(cold[^1].TrainLoss * 1.1));

        var other = new MlpTrainer(settings with { HiddenLayers = [16] }, OpenBlas);
        var error = Assert.Throws<ArgumentException>(() => other.Fit(train, warmStart: first));
        Assert.That(error!.Message, Does.Contain("use the same architecture"));
    }

    [Test]
    public void DropoutIsOnlyActiveWhileTraining()
    {
        var train = new BlobProblem(8, 3, 2.0, 25).Sample(200, 26);
        var withDropout = new MlpTrainer(Small with { Epochs = 3, Dropout = 0.5 }, OpenBlas).Fit(train);
        var without = new MlpTrainer(Small with { Epochs = 3 }, OpenBlas).Fit(train);
        Assert.That(SoftmaxRegressionTests.HeadBytes(withDropout), Is.Not.EqualTo(SoftmaxRegressionTests.HeadBytes(without)));
        Assert.That(withDropout.PredictProba(train), Is.EqualTo(withDropout.PredictProba(train)));
    }

    [Test]
    public void WithoutHiddenLayersItIsSoftmaxRegressionTrainedByAdam()
    {
        var problem = new BlobProblem(10, 3, 4.0, 27);
        var train = problem.Sample(300, 28);
        var test = problem.Sample(300, 29, "test");
        var head = new MlpTrainer(Small with { HiddenLayers = [], Epochs = 20 }, OpenBlas).Fit(train);
        Assert.That(head.Layers, Has.Count.EqualTo(1));
        double linear = Reference.Accuracy(new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(train), test);
        Assert.That(Reference.Accuracy(head, test), Is.EqualTo(linear).Within(0.03));
    }

    [Test]
    public void InvalidSettingsAreRefusedUpFront()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpSettings { Dropout = 1 }))!.Message,
            Does.Contain("Dropout must be within [0, 1)"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpSettings { HiddenLayers = [0] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpSettings { Activation = Activation.Identity }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpSettings { LearningRate = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpSettings { Schedule = LearningRateSchedule.StepDecay(0, 0.1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MlpTrainer(new MlpSettings { LabelSmoothing = 1 }));
    }
}
