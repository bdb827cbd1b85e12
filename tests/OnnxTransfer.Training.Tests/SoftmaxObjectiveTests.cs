using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Tests;

public class SoftmaxObjectiveTests
{
    private static readonly BlasBackend OpenBlas = BlasBackend.OpenBlas ?? throw new InvalidOperationException("OpenBLAS missing; run tools/setup.sh");

    private static (EmbeddingSet Set, double[] ClassWeights) Problem(int rows, int classes, int dimension, int seed)
    {
        var set = new BlobProblem(dimension, classes, 2.0, seed, offset: 0.5f, scaleSpread: 0.5f).Sample(rows, seed + 1);
        var weights = Enumerable.Range(0, classes).Select(c => 0.5 + 0.75 * c).ToArray();
        return (set, weights);
    }

    private static double[] RandomTheta(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => 0.3 * Synthetic.Gaussian(random)).ToArray();
    }

    [TestCase(4, false)]
    [TestCase(2, true)]
    [TestCase(2, false)]
    public void GradientMatchesCentralFiniteDifferences(int classes, bool reference)
    {
        var (set, classWeights) = Problem(300, classes, 12, 7);
        var objective = new SoftmaxObjective(new ComputeContext(OpenBlas, 1), new InMemoryRows(set.FeatureArray, set.Count, set.Dimension), set.LabelArray,
            classes, classWeights, reference, l2: 0.05);
        var theta = RandomTheta(objective.ParameterCount, 11);
        var gradient = new double[theta.Length];
        objective.Evaluate(theta, gradient);

        var scratch = new double[theta.Length];
        const double h = 1e-2;
        for (int i = 0; i < theta.Length; i++)
        {
            double saved = theta[i];
            theta[i] = saved + h;
            double up = objective.Evaluate(theta, scratch);
            theta[i] = saved - h;
            double down = objective.Evaluate(theta, scratch);
            theta[i] = saved;
            double numeric = (up - down) / (2 * h);
            Assert.That(gradient[i], Is.EqualTo(numeric).Within(2e-4 + 2e-3 * Math.Abs(numeric)), $"parameter {i}");
        }
    }

    [Test]
    public void ValueAndGradientMatchTheDoubleReference()
    {
        const int classes = 5;
        var (set, classWeights) = Problem(500, classes, 20, 3);
        const double c = 0.7;
        double weightSum = set.LabelIndices.ToArray().Sum(y => classWeights[y]);
        var objective = new SoftmaxObjective(new ComputeContext(OpenBlas, 2), new InMemoryRows(set.FeatureArray, set.Count, set.Dimension), set.LabelArray,
            classes, classWeights, referenceClass: false, l2: 1.0 / (c * weightSum));
        var theta = RandomTheta(objective.ParameterCount, 5);
        var gradient = new double[theta.Length];
        double value = objective.Evaluate(theta, gradient);

        // The same parameters as a head over unpreprocessed features, for the reference implementation.
        int d = set.Dimension;
        var layer = new DenseLayer(d, classes, theta.Take(classes * d).Select(v => (float)v).ToArray(),
            theta.Skip(classes * d).Select(v => (float)v).ToArray(), Activation.Identity);
        var head = new Head(Head.SoftmaxRegressionKind, set.Classes, FeaturePreprocessing.Identity, [layer]);
        var (refValue, refGradW, refGradB) = Reference.SoftmaxObjective(head, set, c, classWeights);

        Assert.That(value, Is.EqualTo(refValue).Within(1e-5 * Math.Abs(refValue)));
        for (int i = 0; i < refGradW.Length; i++) Assert.That(gradient[i], Is.EqualTo(refGradW[i]).Within(1e-5), $"W[{i}]");
        for (int k = 0; k < classes; k++) Assert.That(gradient[classes * d + k], Is.EqualTo(refGradB[k]).Within(1e-5), $"b[{k}]");
    }

    [Test]
    public void ResultIsBitIdenticalForAnyNumberOfWorkers()
    {
        // More rows than one block, so blocks really run on different workers.
        var (set, classWeights) = Problem(3 * SoftmaxObjective.BlockRows + 77, 3, 16, 9);
        foreach (var backend in new[] { OpenBlas, BlasBackend.Managed })
        {
            double[]? first = null;
            double firstValue = 0;
            foreach (int workers in new[] { 1, 2, 4 })
            {
                var objective = new SoftmaxObjective(new ComputeContext(backend, workers), new InMemoryRows(set.FeatureArray, set.Count, set.Dimension), set.LabelArray,
                    3, classWeights, referenceClass: false, l2: 0.01);
                var theta = RandomTheta(objective.ParameterCount, 1);
                var gradient = new double[theta.Length];
                double value = objective.Evaluate(theta, gradient);
                if (first is null)
                {
                    first = gradient;
                    firstValue = value;
                    continue;
                }
                Assert.That(value, Is.EqualTo(firstValue), $"{backend.Name}, {workers} workers");
                Assert.That(gradient, Is.EqualTo(first), $"{backend.Name}, {workers} workers");
            }
        }
    }

    [Test]
    public void OpenBlasAndManagedBackendsAgreeWithinFloatTolerance()
    {
        var (set, classWeights) = Problem(2500, 4, 40, 21);
        double[] Run(BlasBackend backend, out double value)
        {
            var objective = new SoftmaxObjective(new ComputeContext(backend, 2), new InMemoryRows(set.FeatureArray, set.Count, set.Dimension), set.LabelArray,
                4, classWeights, referenceClass: false, l2: 0.02);
            var theta = RandomTheta(objective.ParameterCount, 2);
            var gradient = new double[theta.Length];
            value = objective.Evaluate(theta, gradient);
            return gradient;
        }
        var fromOpenBlas = Run(OpenBlas, out var valueOpenBlas);
        var fromManaged = Run(BlasBackend.Managed, out var valueManaged);
        Assert.That(valueManaged, Is.EqualTo(valueOpenBlas).Within(1e-6 * Math.Abs(valueOpenBlas)));
        for (int i = 0; i < fromOpenBlas.Length; i++) Assert.That(fromManaged[i], Is.EqualTo(fromOpenBlas[i]).Within(1e-6), $"parameter {i}");
    }
}
