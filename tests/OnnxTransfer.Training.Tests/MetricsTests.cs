using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Tests;

public class MetricsTests
{
    // Six rows, three classes; predictions a, b, b, b, a, c with top-1 probability 0.75 everywhere (others 0.125).
    private static readonly int[] Truth = [0, 0, 1, 1, 2, 2];
    private static readonly int[] Predicted = [0, 1, 1, 1, 0, 2];

    private static float[] Probabilities()
    {
        var p = new float[Truth.Length * 3];
        for (int i = 0; i < Truth.Length; i++)
            for (int c = 0; c < 3; c++) p[i * 3 + c] = c == Predicted[i] ? 0.75f : 0.125f;
        return p;
    }

    [Test]
    public void MetricsFollowTheirDefinitionsOnAWorkedExample()
    {
        var m = ClassificationMetrics.Compute("test", ["a", "b", "c"], Truth, Probabilities());
        Assert.That(m.Rows, Is.EqualTo(6));
        Assert.That(m.Accuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
        // Recalls 1/2, 2/2, 1/2.
        Assert.That(m.BalancedAccuracy, Is.EqualTo(2.0 / 3).Within(1e-12));
        // Precisions 1/2, 2/3, 1/1 → F1 1/2, 4/5, 2/3.
        Assert.That(m.PerClass.Select(c => c.Precision), Is.EqualTo(new[] { 0.5, 2.0 / 3, 1.0 }).Within(1e-12));
        Assert.That(m.PerClass.Select(c => c.Recall), Is.EqualTo(new[] { 0.5, 1.0, 0.5 }).Within(1e-12));
        Assert.That(m.PerClass.Select(c => c.F1), Is.EqualTo(new[] { 0.5, 0.8, 2.0 / 3 }).Within(1e-7));
        Assert.That(m.PerClass.Select(c => c.Support), Is.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(m.MacroF1, Is.EqualTo((0.5 + 0.8 + 2.0 / 3) / 3).Within(1e-7));
        // Four rows give the truth 0.75, two give it 0.125.
        Assert.That(m.LogLoss, Is.EqualTo((4 * -Math.Log(0.75) + 2 * -Math.Log(0.125)) / 6).Within(1e-12));
        // Every confidence is 0.75, in bin (11/15, 12/15]: ECE = |4/6 − 0.75|.
        Assert.That(m.ExpectedCalibrationError, Is.EqualTo(0.75 - 4.0 / 6).Within(1e-12));
        Assert.That(m.Calibration[11].Count, Is.EqualTo(6));
        Assert.That(m.CalibrationBins, Is.EqualTo(15));
        Assert.That(m.ConfusionMatrix, Is.EqualTo(new[] { new[] { 1, 1, 0 }, new[] { 0, 2, 0 }, new[] { 1, 0, 1 } }));
        Assert.That(m.Warnings, Is.Empty);
    }

    [Test]
    public void AClassWithoutRowsIsReportedAndLeftOutOfBalancedAccuracy()
    {
        // Truth has only a and b; class c is never true but predicted once.
        int[] truth = [0, 0, 1, 1];
        var p = new float[12];
        int[] predicted = [0, 2, 1, 1];
        for (int i = 0; i < 4; i++) p[i * 3 + predicted[i]] = 1f;
        var m = ClassificationMetrics.Compute("val", ["a", "b", "c"], truth, p);
        Assert.That(m.BalancedAccuracy, Is.EqualTo((0.5 + 1.0) / 2).Within(1e-12));
        // Macro-F1 includes c (predicted, F1 0): (2/3 + 1 + 0)/3.
        Assert.That(m.MacroF1, Is.EqualTo((2.0 / 3 + 1 + 0) / 3).Within(1e-12));
        Assert.That(m.Warnings.Single(), Does.Contain("Class 'c' has no rows in split 'val'"));
        // Probability 0 for the truth is clipped, not infinite.
        Assert.That(m.LogLoss, Is.EqualTo(-Math.Log(1e-15) / 4).Within(1e-9));
    }

    [Test]
    public void EvaluateMatchesSplitLabelsToHeadLabelsByName()
    {
        var problem = new BlobProblem(8, 3, 5.0, 1);
        var train = problem.Sample(300, 2);
        var head = new SoftmaxRegressionTrainer().Fit(train);
        // A test split that only has two of the classes: its own class list is [class00, class02].
        var full = problem.Sample(90, 3, "test");
        var rows = Enumerable.Range(0, full.Count).Where(i => full.LabelOf(i) != "class01").ToArray();
        var labels = rows.Select(full.LabelOf).ToArray();
        var features = rows.SelectMany(i => full.Row(i).ToArray()).ToArray();
        var test = EmbeddingSet.Create("test", features, 8, labels);
        Assert.That(test.Classes, Is.EqualTo(new[] { "class00", "class02" }));

        var m = ClassificationMetrics.Evaluate(head, test);
        Assert.That(m.Labels, Is.EqualTo(head.Labels));
        Assert.That(m.PerClass.Select(c => c.Support), Is.EqualTo(new[] { 30, 0, 30 }));
        Assert.That(m.Accuracy, Is.GreaterThan(0.95));
        Assert.That(m.Warnings.Single(), Does.Contain("'class01'"));

        var unknown = EmbeddingSet.Create("test", new float[8], 8, ["class07"]);
        var error = Assert.Throws<TrainingDataException>(() => ClassificationMetrics.Evaluate(head, unknown));
        Assert.That(error!.Message, Does.Contain("'class07', which is not one of [class00, class01, class02]"));
    }

    [Test]
    public void WellCalibratedModelHasSmallCalibrationError()
    {
        // Labels drawn from the predicted distribution itself: calibrated by construction, ECE → 0 with many rows.
        var random = new Random(4);
        const int n = 20000;
        var truth = new int[n];
        var p = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            float q = (float)random.NextDouble();
            p[i * 2] = q;
            p[i * 2 + 1] = 1 - q;
            truth[i] = random.NextDouble() < q ? 0 : 1;
        }
        var m = ClassificationMetrics.Compute("synthetic", ["x", "y"], truth, p);
        Assert.That(m.ExpectedCalibrationError, Is.LessThan(0.02));
        // And a confidently wrong model is not.
        for (int i = 0; i < n; i++) truth[i] = p[i * 2] > 0.5f ? 1 : 0;
        Assert.That(ClassificationMetrics.Compute("synthetic", ["x", "y"], truth, p).ExpectedCalibrationError, Is.GreaterThan(0.5));
    }
}
