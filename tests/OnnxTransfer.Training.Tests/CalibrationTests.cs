using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Calibration;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Tests;

/// <summary>Temperature scaling: the fit itself, folding into the exported head, learned on training rows only, and its effect.</summary>
public class CalibrationTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };


    [Test]
    public void RecoversTheTemperatureThatGeneratedTheLabels()
    {
        // Labels drawn from softmax(z / 2.5): the log-loss minimiser is T ≈ 2.5.
        var random = new Random(3);
        int rows = 20_000, classes = 4;
        var logits = new float[rows * classes];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            for (int c = 0; c < classes; c++) logits[i * classes + c] = (float)(3 * Synthetic.Gaussian(random));
            var p = TemperatureScaling.Probabilities(logits.AsSpan(i * classes, classes), classes, 2.5);
            double u = random.NextDouble(), sum = 0;
            labels[i] = classes - 1;
            for (int c = 0; c < classes; c++)
                if ((sum += p[c]) > u) { labels[i] = c; break; }
        }
        Assert.That(TemperatureScaling.Fit(logits, labels, classes), Is.EqualTo(2.5).Within(0.1));
    }

    [Test]
    public void ExportedHeadGivesSoftmaxOfTheLogitsOverT()
    {
        var (train, val) = (HymenopteraSplits.Train, HymenopteraSplits.Val);
        var search = new SoftmaxPathSearch(compute: OpenBlas);
        var result = search.Fit(train, out var outOfFold);
        var calibrated = HeadCalibration.Calibrate(result.Head, outOfFold, search.Validation.Describe());
        Assert.That(calibrated.Skipped, Is.Null);
        double t = calibrated.Head.Training!.Calibration!.Temperature;
        Assert.That(t, Is.Not.EqualTo(1.0).Within(0.05), "hymenoptera's strongly regularised head is under-confident: T moves");

        using var temp = new TempDirectory();
        var path = temp.File("head.onnx");
        HeadOnnxExporter.Save(calibrated.Head, path, new HeadExportOptions());
        var imported = HeadOnnxImporter.Load(path).Head;
        Assert.That(imported.Training!.Calibration!.Temperature, Is.EqualTo(t), "the temperature is in the head's metadata");

        var expected = TemperatureScaling.Probabilities(result.Head.Logits(val, OpenBlas), val.Classes.Count, t);
        var actual = imported.PredictProba(val, OpenBlas);
        for (int i = 0; i < expected.Length; i++) Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5), $"probability {i}");
        // Predictions never change.
        Assert.That(Head(imported, val), Is.EqualTo(Head(result.Head, val)));
    }

    [Test]
    public void TemperatureIsLearnedOnTheTrainingSplitOnly()
    {
        var (train, val) = (HymenopteraSplits.Train, HymenopteraSplits.Val);
        var search = new SoftmaxPathSearch(compute: OpenBlas);
        search.Fit(train, out var outOfFold);
        // Every training row contributes exactly one out-of-fold logit row, with its own label; no other rows do.
        Assert.That(outOfFold.Labels, Is.EqualTo(train.LabelArray));
        Assert.That(outOfFold.Logits.Length, Is.EqualTo(train.Count * train.Classes.Count));
        // The same training split with the evaluation split's rows appended as more training rows gives another T: T
        // depends on the rows it is given, and the CLI gives it only the training split's.
        var t = TemperatureScaling.Fit(outOfFold.Logits, outOfFold.Labels, outOfFold.Classes);
        var withVal = EmbeddingSet.FromClassIndices("train+val", [.. train.FeatureArray, .. val.FeatureArray], train.Dimension,
            [.. train.LabelArray, .. val.LabelArray], train.Classes);
        new SoftmaxPathSearch(compute: OpenBlas).Fit(withVal, out var mixed);
        Assert.That(TemperatureScaling.Fit(mixed.Logits, mixed.Labels, mixed.Classes), Is.Not.EqualTo(t));
    }

    [Test]
    public void EceAndLogLossOnHymenopteraValDoNotGetWorse()
    {
        var (train, val) = (HymenopteraSplits.Train, HymenopteraSplits.Val);
        var search = new SoftmaxPathSearch(compute: OpenBlas);
        var result = search.Fit(train, out var outOfFold);
        var calibrated = HeadCalibration.Calibrate(result.Head, outOfFold, search.Validation.Describe()).Head;
        var before = ClassificationMetrics.Evaluate(result.Head, val, OpenBlas);
        var after = ClassificationMetrics.Evaluate(calibrated, val, OpenBlas);
        TestContext.Out.WriteLine($"T={calibrated.Training!.Calibration!.Temperature:G4}: val ECE {before.ExpectedCalibrationError:F4} → {after.ExpectedCalibrationError:F4}, log-loss {before.LogLoss:F4} → {after.LogLoss:F4}");
        Assert.That(after.ExpectedCalibrationError, Is.LessThanOrEqualTo(before.ExpectedCalibrationError));
        Assert.That(after.LogLoss, Is.LessThanOrEqualTo(before.LogLoss));
        Assert.That(after.Accuracy, Is.EqualTo(before.Accuracy));
    }

    [Test]
    public void TooSmallACarveOutIsNotCalibrated()
    {
        var train = HymenopteraSplits.Train;
        var settings = new MlpSettings { HiddenLayers = [32], Epochs = 2 };
        var head = new MlpTrainer(settings, OpenBlas).Fit(train);
        var outcome = HeadCalibration.CalibrateMlp(head, train, settings, OpenBlas);
        Assert.That(outcome.Head, Is.SameAs(head));
        Assert.That(outcome.Skipped, Does.Contain("too few"));
    }

    private static int[] Head(Heads.Head head, EmbeddingSet set) => Heads.Head.ArgMaxRows(head.PredictProba(set, OpenBlas), head.ClassCount);
}

/// <summary>The default heads on the real hymenoptera cache (selection on the training split only).</summary>
public class DefaultHeadTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };

    [Test]
    public void DefaultMlpLearnsPastItsFirstEpochsAndMatchesTheSoftmaxHeadOnHymenopteraVal()
    {
        var (train, val) = (HymenopteraSplits.Train, HymenopteraSplits.Val);
        var softmax = new SoftmaxPathSearch(compute: OpenBlas).Fit(train).Head;
        var mlp = new MlpTrainer(new MlpSettings(), OpenBlas).Fit(train);
        int softmaxCorrect = (int)Math.Round(ClassificationMetrics.Evaluate(softmax, val, OpenBlas).Accuracy * val.Count);
        int mlpCorrect = (int)Math.Round(ClassificationMetrics.Evaluate(mlp, val, OpenBlas).Accuracy * val.Count);
        TestContext.Out.WriteLine($"val: softmax {softmaxCorrect}/{val.Count}, mlp {mlpCorrect}/{val.Count} (best epoch {mlp.Training!.History!.BestEpoch} of {mlp.Training.History.Epochs.Count})");
        Assert.That(mlpCorrect, Is.GreaterThanOrEqualTo(softmaxCorrect));
        Assert.That(softmaxCorrect, Is.GreaterThanOrEqualTo(146), "today's figure");
    }
}
