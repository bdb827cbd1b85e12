using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Blas;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;
using OnnxTransfer.Training.Workflow;
using OnnxTransfer.TestCaches;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The MLP with a linear skip path (the default of <c>train --head mlp</c>): it starts as the softmax head, keeps it
/// when the hidden branch does not help, and learns what a linear head cannot when there is something to learn.
/// </summary>
public class MlpSkipPathTests
{
    private static readonly ComputeOptions OpenBlas = new() { Blas = BlasBackend.Resolve("openblas"), DegreeOfParallelism = 2 };

    [Test]
    public void AtEpochZeroTheSkipPathMlpPredictsWhatTheSoftmaxHeadPredicts([Values(Activation.Relu, Activation.Gelu)] Activation activation)
    {
        // The network before any step: random hidden layer, zero output layer, the softmax head as the skip path.
        var train = HymenopteraSplits.Train;
        var softmax = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.01 }, OpenBlas).Fit(train);
        var preprocessing = FeaturePreprocessing.Fit(PreprocessingKind.Standardize, train.Rows(FeaturePreprocessing.Identity, OpenBlas.CreateContext()), OpenBlas.CreateContext());
        var (weights, bias) = WarmStart.FirstLayerFor(softmax, preprocessing);
        var network = new MlpNetwork(train.Dimension, [64], train.Classes.Count, activation, 16);
        network.Initialize(DeterministicRandom.For(3, 1));
        network.SetLinearSkip(Array.ConvertAll(weights, w => (float)w), Array.ConvertAll(bias, b => (float)b));
        var mlp = new Head(Head.MlpKind, train.Classes, preprocessing, network.ToLayers(activation));

        Assert.That(mlp.Layers.Select(l => (l.InputCount, l.OutputCount)), Is.EqualTo(new[] { (1280, 64 + 4), (64 + 4, 2) }), "2·classes skip units");
        foreach (var split in new[] { HymenopteraSplits.Train, HymenopteraSplits.Val })
        {
            var expected = softmax.PredictProba(split, OpenBlas);
            var actual = mlp.PredictProba(split, OpenBlas);
            Assert.That(MaxDifference(actual, expected), Is.LessThan(1e-5), split.Name);
            Assert.That(Head.ArgMaxRows(actual, 2), Is.EqualTo(Head.ArgMaxRows(expected, 2)), split.Name);
        }

        // The training-time forward pass (skip as a separate product) gives the folded head's probabilities.
        var rows = preprocessing.Transform(HymenopteraSplits.Val, OpenBlas.CreateContext())[..(16 * train.Dimension)];
        network.Forward(OpenBlas.CreateContext(), rows, 16, 0f, 0, 0);
        var folded = new Head(Head.MlpKind, train.Classes, FeaturePreprocessing.Identity, mlp.Layers).PredictProba(rows, OpenBlas);
        Assert.That(MaxDifference(network.Probabilities(16).ToArray(), folded), Is.LessThan(1e-5));
    }

    [Test]
    public void AFitThatBarelyMovesTheHiddenBranchStaysTheSoftmaxHeadAndExportsToTheSameNumbers()
    {
        // No carve-out: the skip path is softmax regression on the whole training split at C, so one epoch at a learning
        // rate of 1e-9 leaves (to float precision) the softmax head, folded into an ordinary two-layer MLP.
        var train = HymenopteraSplits.Train;
        var linear = new SoftmaxRegressionSettings { C = 0.01 };
        var softmax = new SoftmaxRegressionTrainer(linear, OpenBlas).Fit(train);
        var settings = new MlpSettings { HiddenLayers = [64], LinearSkip = linear, Epochs = 1, LearningRate = 1e-9, ValidationFraction = 0 };
        var mlp = new MlpTrainer(settings, OpenBlas).Fit(train);
        var expected = softmax.PredictProba(HymenopteraSplits.Val, OpenBlas);
        Assert.That(MaxDifference(mlp.PredictProba(HymenopteraSplits.Val, OpenBlas), expected), Is.LessThan(1e-4));
        Assert.That(mlp.Training!.Settings, Does.Contain(new KeyValuePair<string, string>("linear_skip", "softmax C=0.01")));

        // Export and import keep it: a plain chain of Gemm layers, bit for bit.
        using var temp = new TempDirectory();
        var path = temp.File("head.onnx");
        var export = HeadOnnxExporter.Save(mlp, path, new HeadExportOptions { Standardization = StandardizationExport.Nodes });
        var imported = HeadOnnxImporter.Load(path).Head;
        Assert.That(export.StandardizationFolded, Is.False);
        for (int l = 0; l < mlp.Layers.Count; l++) Assert.That(imported.Layers[l].Weights, Is.EqualTo(mlp.Layers[l].Weights));
        Assert.That(imported.PredictProba(HymenopteraSplits.Val, OpenBlas), Is.EqualTo(mlp.PredictProba(HymenopteraSplits.Val, OpenBlas)));
    }

    [Test]
    public void OnANonlinearSetTheHiddenBranchBeatsTheLinearHeadItStartsFrom()
    {
        // XOR of two features: no linear head beats chance, so the skip path alone cannot; the MLP must learn past epoch 0.
        var train = Synthetic.Xor(2000, 8, 1);
        var test = Synthetic.Xor(600, 8, 2, "test");
        var softmax = new SoftmaxPathSearch(compute: OpenBlas).Fit(train);
        var settings = new MlpSettings { LinearSkip = new SoftmaxRegressionSettings { C = softmax.Best.C!.Value }, Epochs = 20 };
        var mlp = new MlpTrainer(settings, OpenBlas).Fit(train, null, null, softmax.Head);
        double softmaxAccuracy = Reference.Accuracy(softmax.Head, test), mlpAccuracy = Reference.Accuracy(mlp, test);
        TestContext.Out.WriteLine($"XOR test: softmax {softmaxAccuracy:F3}, skip MLP {mlpAccuracy:F3}, best epoch {mlp.Training!.History!.BestEpoch}");
        Assert.That(softmaxAccuracy, Is.LessThan(0.7));
        Assert.That(mlpAccuracy, Is.GreaterThan(0.9));
        Assert.That(mlp.Training.History.BestEpoch, Is.GreaterThan(0));
    }

    [Test]
    public void TheDefaultMlpWithItsSkipPathIsAtLeastTheSoftmaxHeadOnHymenopteraVal()
    {
        // As `train --head mlp` runs it: C by the softmax path search on the training split, then the MLP on top.
        var (train, val) = (HymenopteraSplits.Train, HymenopteraSplits.Val);
        var search = new SoftmaxPathSearch(compute: OpenBlas).Fit(train);
        var settings = new MlpSettings { LinearSkip = new SoftmaxRegressionSettings { C = search.Best.C!.Value } };
        var mlp = new MlpTrainer(settings, OpenBlas).Fit(train, null, null, search.Head);
        int softmaxCorrect = Correct(search.Head, val), mlpCorrect = Correct(mlp, val);
        TestContext.Out.WriteLine($"val: softmax {softmaxCorrect}/{val.Count}, skip MLP {mlpCorrect}/{val.Count} (best epoch {mlp.Training!.History!.BestEpoch})");
        Assert.That(mlpCorrect, Is.GreaterThanOrEqualTo(softmaxCorrect));
        // 26 carve-out rows, of which the linear head gets all but one or two: no epoch can beat it by the paired margin,
        // so epoch 0 is kept, with the search's own refit (every training row) as the skip: the softmax head itself.
        Assert.That(mlp.Training.History.BestEpoch, Is.Zero);
        Assert.That(MaxDifference(mlp.PredictProba(val, OpenBlas), search.Head.PredictProba(val, OpenBlas)), Is.LessThan(1e-5));
    }

    [Test]
    public void AnMlpThatKeptEpochZeroIsCalibratedAsTheSoftmaxHeadItIs()
    {
        // As `train --head mlp` and `train --head softmax` run on hymenoptera: the carve-out (26 rows) is too few for a
        // temperature, but with epoch 0 kept the MLP is the softmax head, whose out-of-fold logits serve.
        var dataset = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var plan = dataset.PlanSplits("train", "val");
        var softmax = HeadTrainingRun.Train(dataset, plan, new HeadTrainingSettings { Kind = Head.SoftmaxRegressionKind, SelectC = true, Calibrate = true, Compute = OpenBlas });
        var mlp = HeadTrainingRun.Train(dataset, plan, new HeadTrainingSettings
        {
            Kind = Head.MlpKind, SelectC = true, Calibrate = true, Compute = OpenBlas,
            Mlp = new MlpSettings { LinearSkip = new SoftmaxRegressionSettings() },
        });
        Assert.That(mlp.Head.Training!.History!.BestEpoch, Is.Zero);
        var (t, tMlp) = (softmax.Head.Training!.Calibration!.Temperature, mlp.Head.Training.Calibration?.Temperature);
        TestContext.Out.WriteLine($"temperature: softmax {t}, mlp {tMlp}; val ECE softmax {softmax.Metrics[^1].ExpectedCalibrationError:F4}, mlp {mlp.Metrics[^1].ExpectedCalibrationError:F4}");
        Assert.That(tMlp, Is.EqualTo(t).Within(1e-6 * t), "the same held-out logits give the same temperature");
        var val = dataset.Load("val", softmax.Head.Labels);
        Assert.That(MaxDifference(mlp.Head.PredictProba(val, OpenBlas), softmax.Head.PredictProba(val, OpenBlas)), Is.LessThan(1e-5));
    }

    [Test]
    public void TheKeptEpochMustBeatTheLinearHeadByThePairedMargin()
    {
        // b rows only the MLP gets right, c only the linear head: kept when b − c ≥ 1.96·√(b + c).
        var baseline = new LinearBaseline(0.1, 0.9, [true, true, false, false, false, false, false, false], (new float[0][], new float[0][]));
        Assert.That(baseline.IsBeaten(EarlyStoppingMonitor.Accuracy, 0.05, 0.95, [true, true, true, true, false, false, false, false]), Is.False, "b 2, c 0: 2 < 2.77");
        Assert.That(baseline.IsBeaten(EarlyStoppingMonitor.Accuracy, 0.05, 0.95, [true, true, true, true, true, true, true, true]), Is.True, "b 6, c 0: 6 ≥ 4.8");
        Assert.That(baseline.IsBeaten(EarlyStoppingMonitor.Accuracy, 0.05, 0.95, [false, false, true, true, true, true, true, true]), Is.False, "b 6, c 2: 4 < 5.54");
        Assert.That(baseline.IsBeaten(EarlyStoppingMonitor.Loss, 0.05, 0, [false]), Is.True);
        Assert.That(baseline.IsBeaten(EarlyStoppingMonitor.BalancedAccuracy, 0.05, 0.9, [false]), Is.False, "ties keep the linear head");
    }

    [Test]
    public void SkipSettingsThatCannotFoldOrConflictAreRefused()
    {
        var linear = new SoftmaxRegressionSettings();
        Assert.Throws<ArgumentException>(() => new MlpSettings { HiddenLayers = [], LinearSkip = linear }.Validate());
        Assert.Throws<ArgumentException>(() => new MlpSettings { HiddenLayers = [16, 8], Activation = Activation.Gelu, LinearSkip = linear }.Validate());
        Assert.DoesNotThrow(() => new MlpSettings { HiddenLayers = [16, 8], LinearSkip = linear }.Validate());
        var train = HymenopteraSplits.Train;
        var plain = new MlpTrainer(new MlpSettings { HiddenLayers = [8], Epochs = 1 }, OpenBlas).Fit(train);
        Assert.Throws<ArgumentException>(() => new MlpTrainer(new MlpSettings { HiddenLayers = [8], Epochs = 1, LinearSkip = linear }, OpenBlas).Fit(train, null, plain));
    }

    [Test]
    public void ADeeperReluNetCarriesTheSkipUnitsThroughIdentityBlocks()
    {
        var train = HymenopteraSplits.Train;
        var linear = new SoftmaxRegressionSettings { C = 0.01 };
        var softmax = new SoftmaxRegressionTrainer(linear, OpenBlas).Fit(train);
        var mlp = new MlpTrainer(new MlpSettings { HiddenLayers = [32, 16], LinearSkip = linear, Epochs = 1, LearningRate = 1e-9, ValidationFraction = 0 }, OpenBlas).Fit(train);
        Assert.That(mlp.Layers.Select(l => l.OutputCount), Is.EqualTo(new[] { 32 + 4, 16 + 4, 2 }));
        Assert.That(MaxDifference(mlp.PredictProba(HymenopteraSplits.Val, OpenBlas), softmax.PredictProba(HymenopteraSplits.Val, OpenBlas)), Is.LessThan(1e-4));
    }

    internal static int Correct(Head head, EmbeddingSet set) =>
        (int)Math.Round(ClassificationMetrics.Evaluate(head, set, OpenBlas).Accuracy * set.Count);

    private static double MaxDifference(float[] a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
