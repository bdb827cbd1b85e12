using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Tests;

public class SoftmaxRegressionTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };
    private static readonly ComputeOptions Managed = new() { Blas = BlasBackend.Managed, DegreeOfParallelism = 2 };

    [TestCase(PreprocessingKind.Standardize, ClassWeightingKind.Balanced)]
    [TestCase(PreprocessingKind.L2NormalizeThenStandardize, ClassWeightingKind.None)]
    [TestCase(PreprocessingKind.None, ClassWeightingKind.Balanced)]
    public void OptimumSatisfiesTheFirstOrderConditionInDoublePrecision(PreprocessingKind preprocessing, ClassWeightingKind weighting)
    {
        var train = new BlobProblem(24, 4, 2.5, 1).Sample(800, 2, shares: [1, 2, 3, 6]);
        var settings = new SoftmaxRegressionSettings
        {
            C = 0.5, Tolerance = 1e-6, Preprocessing = preprocessing,
            ClassWeights = weighting == ClassWeightingKind.Balanced ? ClassWeighting.Balanced : ClassWeighting.None,
        };
        var head = new SoftmaxRegressionTrainer(settings, OpenBlas).Fit(train);
        var report = head.Training!.Optimization!;
        Assert.That(report.Converged, Is.True, report.StopReason);
        Assert.That(report.GradientMaxNorm, Is.LessThanOrEqualTo(1e-6));
        Assert.That(report.Iterations, Is.GreaterThan(0));
        Assert.That(report.FunctionEvaluations, Is.GreaterThanOrEqualTo(report.Iterations));

        // An independent double-precision gradient at the stored (float) weights.
        var classWeights = settings.ClassWeights.Resolve(train);
        var (value, gradW, gradB) = Reference.SoftmaxObjective(head, train, settings.C, classWeights);
        Assert.That(value, Is.EqualTo(report.Objective).Within(1e-6 * value));
        double max = Math.Max(gradW.Max(Math.Abs), gradB.Max(Math.Abs));
        Assert.That(max, Is.LessThanOrEqualTo(3e-6), "‖∇f‖∞ recomputed in double at the head's weights");
    }

    [Test]
    public void SeparatesGaussianBlobsOnHeldOutRows()
    {
        var problem = new BlobProblem(32, 5, 4.0, 3);
        var train = problem.Sample(1000, 4);
        var test = problem.Sample(500, 5, "test");
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(train);
        Assert.That(head.Kind, Is.EqualTo(Head.SoftmaxRegressionKind));
        Assert.That(head.Labels, Is.EqualTo(problem.ClassNames));
        Assert.That(head.Layers, Has.Count.EqualTo(1));
        Assert.That(Reference.Accuracy(head, test), Is.GreaterThan(0.95));
        var probabilities = head.PredictProba(test);
        for (int i = 0; i < test.Count; i++)
            Assert.That(probabilities.AsSpan(i * 5, 5).ToArray().Sum(), Is.EqualTo(1f).Within(1e-5f));
    }

    [Test]
    public void LinearlySeparableSetIsFittedExactlyWithWeakRegularisation()
    {
        var train = new BlobProblem(10, 3, 12.0, 8).Sample(300, 9);
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1e4 }, OpenBlas).Fit(train);
        Assert.That(head.Training!.Optimization!.Converged, Is.True, head.Training.Optimization.StopReason);
        Assert.That(Reference.Accuracy(head, train), Is.EqualTo(1.0));
    }

    [Test]
    public void BinaryLogisticEqualsMultinomialWithHalfTheC()
    {
        // Multinomial with C/2 penalises w₀ and w₁ = −w₀ = w/2 exactly as logistic with C penalises w.
        var train = new BlobProblem(12, 2, 1.5, 4).Sample(400, 5);
        var test = new BlobProblem(12, 2, 1.5, 4).Sample(200, 6, "test");
        var logistic = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.8, Tolerance = 1e-7 }, OpenBlas).Fit(train);
        var multinomial = new SoftmaxRegressionTrainer(
            new SoftmaxRegressionSettings { C = 0.4, Tolerance = 1e-7, Binary = BinaryFormulation.Multinomial }, OpenBlas).Fit(train);

        // The logistic head stores class 0's logit as 0.
        Assert.That(logistic.Layers[0].Weights.Take(12), Is.All.EqualTo(0f));
        Assert.That(logistic.Layers[0].Bias[0], Is.EqualTo(0f));
        Assert.That(multinomial.Layers[0].Weights.Take(12), Is.Not.All.EqualTo(0f));
        var p = logistic.PredictProba(test);
        var q = multinomial.PredictProba(test);
        for (int i = 0; i < p.Length; i++) Assert.That(q[i], Is.EqualTo(p[i]).Within(1e-4), $"probability {i}");
    }

    [Test]
    public void ClassWeightCountsLikeDuplicatedRows()
    {
        var train = new BlobProblem(8, 3, 1.0, 6).Sample(300, 7);
        // The same split with every 'class01' row twice.
        var rows = new List<int>();
        for (int i = 0; i < train.Count; i++)
        {
            rows.Add(i);
            if (train.LabelOf(i) == "class01") rows.Add(i);
        }
        var duplicated = train.Select(rows.ToArray(), "train-duplicated");
        // No standardisation: duplicates would (rightly) shift the learned mean and scale.
        var weighted = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings
        {
            Preprocessing = PreprocessingKind.None, Tolerance = 1e-7,
            ClassWeights = ClassWeighting.Explicit(new Dictionary<string, double> { ["class01"] = 2.0 }),
        }, OpenBlas).Fit(train);
        var repeated = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { Preprocessing = PreprocessingKind.None, Tolerance = 1e-7 }, OpenBlas)
            .Fit(duplicated);
        var p = weighted.PredictProba(train);
        var q = repeated.PredictProba(train);
        for (int i = 0; i < p.Length; i++) Assert.That(q[i], Is.EqualTo(p[i]).Within(1e-4), $"probability {i}");
        // And weighting does change the fit.
        var unweighted = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { Preprocessing = PreprocessingKind.None, Tolerance = 1e-7 }, OpenBlas)
            .Fit(train).PredictProba(train);
        Assert.That(Enumerable.Range(0, p.Length).Max(i => Math.Abs(p[i] - unweighted[i])), Is.GreaterThan(1e-2));
    }

    [Test]
    public void StandardisationUsesTrainingStatisticsOnly()
    {
        var problem = new BlobProblem(6, 3, 2.0, 10);
        var train = problem.Sample(400, 11);
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(train);
        var mean = head.Preprocessing.Mean!;
        var scale = head.Preprocessing.Scale!;
        for (int j = 0; j < 6; j++)
        {
            var column = Enumerable.Range(0, train.Count).Select(i => (double)train.Row(i)[j]).ToArray();
            double m = column.Average();
            double s = Math.Sqrt(column.Sum(v => (v - m) * (v - m)) / column.Length);
            Assert.That(mean[j], Is.EqualTo(m).Within(1e-5 * (1 + Math.Abs(m))), $"mean {j}");
            Assert.That(scale[j], Is.EqualTo(s).Within(1e-5 * s), $"scale {j}");
        }
    }

    [Test]
    public void FitsAreBitIdenticalAcrossRunsAndWorkerCounts()
    {
        var train = new BlobProblem(40, 4, 2.0, 12).Sample(3 * SoftmaxObjective.BlockRows + 5, 13);
        byte[] Fit(int workers) => HeadBytes(new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(),
            new ComputeOptions { Blas = OpenBlas.Blas, DegreeOfParallelism = workers }).Fit(train));
        var first = Fit(2);
        Assert.That(Fit(2), Is.EqualTo(first));
        Assert.That(Fit(1), Is.EqualTo(first));
        Assert.That(Fit(3), Is.EqualTo(first));
    }

    [Test]
    public void OpenBlasAndManagedFitsAgree()
    {
        var problem = new BlobProblem(30, 3, 2.0, 14);
        var train = problem.Sample(900, 15);
        var test = problem.Sample(300, 16, "test");
        var settings = new SoftmaxRegressionSettings { Tolerance = 1e-6 };
        var a = new SoftmaxRegressionTrainer(settings, OpenBlas).Fit(train).PredictProba(test);
        var b = new SoftmaxRegressionTrainer(settings, Managed).Fit(train).PredictProba(test);
        for (int i = 0; i < a.Length; i++) Assert.That(b[i], Is.EqualTo(a[i]).Within(1e-4), $"probability {i}");
    }

    [Test]
    public void WarmStartFromTheOptimumNeedsNoIterationAndFromANeighbourFewer()
    {
        var train = new BlobProblem(20, 3, 1.5, 17).Sample(600, 18);
        var trainer = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1.0, Tolerance = 1e-5 }, OpenBlas);
        var cold = trainer.Fit(train);
        var again = trainer.Fit(train, warmStart: cold);
        Assert.That(again.Training!.Optimization!.Iterations, Is.EqualTo(0));
        Assert.That(again.Training.Optimization.Converged, Is.True);

        var neighbour = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.5, Tolerance = 1e-5 }, OpenBlas).Fit(train);
        var warm = trainer.Fit(train, warmStart: neighbour);
        Assert.That(warm.Training!.Optimization!.FunctionEvaluations, Is.LessThan(cold.Training!.Optimization!.FunctionEvaluations));
        var p = cold.PredictProba(train);
        var q = warm.PredictProba(train);
        for (int i = 0; i < p.Length; i++) Assert.That(q[i], Is.EqualTo(p[i]).Within(1e-3));
    }

    [Test]
    public void WarmStartReexpressesWeightsForAnotherStandardisation()
    {
        var problem = new BlobProblem(10, 3, 2.0, 19);
        var first = problem.Sample(300, 20);
        var second = problem.Sample(300, 21);
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(first);
        var target = FeaturePreprocessing.Fit(PreprocessingKind.Standardize, second);
        Assert.That(target.Mean, Is.Not.EqualTo(head.Preprocessing.Mean));
        var (weights, bias) = WarmStart.FirstLayerFor(head, target);
        var moved = new Head(head.Kind, head.Labels, target,
            [new DenseLayer(10, 3, Array.ConvertAll(weights, w => (float)w), Array.ConvertAll(bias, b => (float)b), Activation.Identity)]);
        var p = head.PredictProba(second);
        var q = moved.PredictProba(second);
        for (int i = 0; i < p.Length; i++) Assert.That(q[i], Is.EqualTo(p[i]).Within(1e-5));
    }

    [Test]
    public void WarmStartFromAnIncompatibleHeadIsRefused()
    {
        var train = new BlobProblem(10, 3, 2.0, 22).Sample(90, 23);
        var other = new BlobProblem(12, 3, 2.0, 22).Sample(90, 23);
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(other);
        var error = Assert.Throws<TrainingDataException>(() => new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings(), OpenBlas).Fit(train, head));
        Assert.That(error!.Message, Does.Contain("12-d").And.Contain("10-d"));
    }

    [Test]
    public void IterationLimitIsReportedAsNotConverged()
    {
        var train = new BlobProblem(20, 4, 1.0, 26).Sample(400, 27);
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 100, Tolerance = 1e-8, MaxIterations = 3 }, OpenBlas).Fit(train);
        var report = head.Training!.Optimization!;
        Assert.That(report.Converged, Is.False);
        Assert.That(report.Iterations, Is.EqualTo(3));
        Assert.That(report.StopReason, Is.EqualTo("iteration limit reached"));
        Assert.That(report.GradientMaxNorm, Is.GreaterThan(1e-8));
    }

    [Test]
    public void WithoutInterceptBiasesStayZero()
    {
        var train = new BlobProblem(10, 3, 2.0, 24).Sample(200, 25);
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { FitIntercept = false }, OpenBlas).Fit(train);
        Assert.That(head.Layers[0].Bias, Is.All.EqualTo(0f));
        Assert.That(head.Training!.Optimization!.Converged, Is.True);
    }

    [Test]
    public void InvalidSettingsAreRefusedUpFront()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0 }));
        Assert.That(error!.Message, Does.Contain("C (inverse L2 strength) must be finite and > 0"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { Tolerance = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { MaxIterations = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxRegressionTrainer(null, new ComputeOptions { DegreeOfParallelism = 0 }));
    }

    internal static byte[] HeadBytes(Head head)
    {
        var bytes = new List<byte>();
        foreach (var layer in head.Layers)
        {
            foreach (var w in layer.Weights) bytes.AddRange(BitConverter.GetBytes(w));
            foreach (var b in layer.Bias) bytes.AddRange(BitConverter.GetBytes(b));
        }
        foreach (var v in head.Preprocessing.Mean ?? []) bytes.AddRange(BitConverter.GetBytes(v));
        foreach (var v in head.Preprocessing.Scale ?? []) bytes.AddRange(BitConverter.GetBytes(v));
        return bytes.ToArray();
    }
}
