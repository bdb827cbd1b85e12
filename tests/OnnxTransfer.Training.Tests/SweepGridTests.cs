using OnnxTransfer.TestCaches;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Tests;

/// <summary>Sweep grids from presets and JSON files (the format in the module README), and running one on the real cache.</summary>
public class SweepGridTests
{
    [Test]
    public void SoftmaxGridReadsLogRangesAndL2()
    {
        var grid = SweepGrid.Parse("""{ "head": "softmax", "C": {"log_range": [1e-3, 10, 5]}, "folds": 3, "metric": "log_loss", "class_weight": "balanced" }""");
        Assert.That(grid.Kind, Is.EqualTo(Head.SoftmaxRegressionKind));
        Assert.That(grid.C, Is.EqualTo(new[] { 1e-3, 1e-2, 1e-1, 1, 10 }).Within(1e-12));
        Assert.That(grid.Validation.Folds, Is.EqualTo(3));
        Assert.That(grid.Metric, Is.EqualTo(SelectionMetric.LogLoss));
        Assert.That(grid.Softmax!.ClassWeights.Kind, Is.EqualTo(ClassWeightingKind.Balanced));
        var l2 = SweepGrid.Parse("""{ "l2": [0.5, 2], "holdout": 0.25 }""");
        Assert.That(l2.C, Is.EqualTo(new[] { 2.0, 0.5 }));
        Assert.That(l2.Validation.HoldOutFraction, Is.EqualTo(0.25));
    }

    [Test]
    public void MlpGridIsTheProductOfItsLists()
    {
        var grid = SweepGrid.Parse("""
            // comments are allowed
            { "head": "mlp", "hidden": [[256], [512, 128]], "activation": ["relu", "gelu"], "learning_rate": [1e-3, 3e-4],
              "dropout": 0.2, "epochs": 12, "batch_size": 32, "seed": 4 }
            """);
        Assert.That(grid.Mlp, Has.Count.EqualTo(2 * 2 * 2));
        Assert.That(grid.Mlp!.Select(m => m.Epochs).Distinct(), Is.EqualTo(new[] { 12 }));
        Assert.That(grid.Mlp!.Count(m => m.Activation == Activation.Gelu && m.HiddenLayers.SequenceEqual([512, 128])), Is.EqualTo(2));
        Assert.That(SweepGrid.Parse("""{ "head": "mlp", "hidden": [256, 64] }""").Mlp!.Single().HiddenLayers, Is.EqualTo(new[] { 256, 64 }),
            "one list of widths is one architecture");
    }

    [TestCase("""{ "head": "softmax" }""", "needs 'C'")]
    [TestCase("""{ "C": [1], "colour": "red" }""", "unknown field 'colour'")]
    [TestCase("""{ "C": [1], "metric": "auc" }""", "'metric' must be")]
    [TestCase("""{ "head": "tree", "C": [1] }""", "'head' must be 'softmax' or 'mlp'")]
    [TestCase("""{ "C": [-1] }""", "C must be finite and > 0")]
    [TestCase("""{ "head": "mlp", "dropout": [1.5] }""", "Dropout must be within")]
    [TestCase("""{ "C": [1], "version": 2 }""", "version 1")]
    [TestCase("""[1, 2]""", "JSON object")]
    public void BadGridsAreRefusedNamingTheField(string json, string expected)
    {
        var error = Assert.Catch(() => SweepGrid.Parse(json).Run(EmbeddingSet.Create("x", [0f, 1f], 1, ["a", "b"])))!;
        Assert.That(error, Is.InstanceOf<FormatException>().Or.InstanceOf<ArgumentException>());
        Assert.That(error.Message, Does.Contain(expected));
    }

    [Test]
    public void PresetsAreListedWhenANameIsUnknown()
    {
        Assert.That(SweepGrid.Preset("softmax-l2").C, Has.Count.EqualTo(45));
        Assert.That(SweepGrid.Preset("mlp-small").Mlp, Has.Count.EqualTo(8));
        var error = Assert.Throws<ArgumentException>(() => SweepGrid.PresetOrFile("huge"))!;
        Assert.That(error.Message, Does.Contain("softmax-l2").And.Contain("mlp-small"));
        Assert.Throws<FileNotFoundException>(() => SweepGrid.PresetOrFile("missing/grid.json"));
    }

    [Test]
    public void RunsOnTheRealCache()
    {
        var train = EmbeddingDataset.Open(HymenopteraCache.Directory).Load("train");
        var result = SweepGrid.Parse("""{ "C": [1e-4, 1e-2, 1], "folds": 3 }""").Run(train);
        Assert.That(result.Points, Has.Count.EqualTo(3));
        Assert.That(result.Best.MeanAccuracy, Is.GreaterThan(0.9));
        Assert.That(result.Validation, Does.Contain("3-fold"));
    }
}
