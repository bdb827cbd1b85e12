using OnnxTransfer.Onnx;
using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// ONNX export and import of heads trained on the real cache: graph shape per opset, metadata, the folding decision, and
/// the import as the exact inverse. (Running the exported graph in ONNX Runtime is the parity test in
/// OnnxTransfer.Inference.Tests, since the trainer never references the runtime.)
/// </summary>
public class HeadOnnxExportTests
{
    private static EmbeddingSet Train => HymenopteraSplits.Train;

    private static EmbeddingSet Val => HymenopteraSplits.Val;

    private static Head Softmax(PreprocessingKind preprocessing = PreprocessingKind.Standardize) =>
        new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.1, Preprocessing = preprocessing }).Fit(Train);

    private static Head Mlp(Activation activation, PreprocessingKind preprocessing) =>
        new MlpTrainer(new MlpSettings { HiddenLayers = [64, 32], Activation = activation, Epochs = 3, Preprocessing = preprocessing, Seed = 1 }).Fit(Train);

    [Test]
    public void ImportIsTheExactInverseOfExport(
        [Values("softmax", "mlp-relu", "mlp-gelu")] string kind,
        [Values(PreprocessingKind.None, PreprocessingKind.Standardize, PreprocessingKind.L2NormalizeThenStandardize)] PreprocessingKind preprocessing,
        [Values(StandardizationExport.Fold, StandardizationExport.Nodes)] StandardizationExport standardization)
    {
        var head = kind switch
        {
            "softmax" => Softmax(preprocessing),
            "mlp-relu" => Mlp(Activation.Relu, preprocessing),
            _ => Mlp(Activation.Gelu, preprocessing),
        };
        using var temp = new TempDirectory();
        var path = temp.File("head.onnx");
        var export = HeadOnnxExporter.Save(head, path, new HeadExportOptions { Standardization = standardization });
        var imported = HeadOnnxImporter.Load(path);
        var expected = export.StandardizationFolded ? StandardizationFolding.Fold(head) : head;

        Assert.That(imported.StandardizationFolded, Is.EqualTo(export.StandardizationFolded));
        Assert.That(export.StandardizationFolded, Is.EqualTo(standardization == StandardizationExport.Fold && head.Preprocessing.Standardize));
        Assert.That(imported.Head.Kind, Is.EqualTo(head.Kind));
        Assert.That(imported.Head.Labels, Is.EqualTo(head.Labels));
        Assert.That(imported.Head.Preprocessing.L2Normalize, Is.EqualTo(head.Preprocessing.L2Normalize));
        Assert.That(imported.Head.Preprocessing.Mean, Is.EqualTo(expected.Preprocessing.Mean));
        Assert.That(imported.Head.Preprocessing.Scale, Is.EqualTo(expected.Preprocessing.Scale));
        Assert.That(imported.Head.Layers, Has.Count.EqualTo(head.Layers.Count));
        for (int l = 0; l < head.Layers.Count; l++)
        {
            Assert.That(imported.Head.Layers[l].Weights, Is.EqualTo(expected.Layers[l].Weights), $"layer {l} weights, bit for bit");
            Assert.That(imported.Head.Layers[l].Bias, Is.EqualTo(expected.Layers[l].Bias), $"layer {l} bias");
            Assert.That(imported.Head.Layers[l].Activation, Is.EqualTo(head.Layers[l].Activation));
        }
        Assert.That(imported.Head.Training!.Settings, Is.EqualTo(head.Training!.Settings), "settings travel in the metadata");

        // The imported head computes the same function as the trained one (exactly, or within the fold's rounding).
        var original = head.PredictProba(Val);
        var again = imported.Head.PredictProba(Val);
        double maxDiff = original.Zip(again, (a, b) => Math.Abs(a - b)).Max();
        Assert.That(maxDiff, Is.LessThanOrEqualTo(export.StandardizationFolded ? 1e-5 : 0), export.Decision);
    }

    [Test]
    public void GraphFollowsTheOpset()
    {
        var head = Mlp(Activation.Gelu, PreprocessingKind.L2NormalizeThenStandardize);
        var nodes17 = HeadOnnxExporter.Export(head, new HeadExportOptions { Opset = 17 }).Model;
        var nodes20 = HeadOnnxExporter.Export(head, new HeadExportOptions { Opset = 20 }).Model;
        Assert.Multiple(() =>
        {
            Assert.That(nodes17.GetOpsetVersion(""), Is.EqualTo(17));
            Assert.That(nodes17.Nodes.Select(n => n.OpType), Has.Member("Erf").And.No.Member("Gelu"));
            Assert.That(nodes20.Nodes.Select(n => n.OpType), Has.Member("Gelu").And.No.Member("Erf"));
            Assert.That(nodes17.Nodes.Single(n => n.OpType == "ReduceL2").Inputs, Has.Count.EqualTo(1), "axes attribute before opset 18");
            Assert.That(nodes20.Nodes.Single(n => n.OpType == "ReduceL2").Inputs, Has.Count.EqualTo(2), "axes input from opset 18");
            Assert.That(nodes17.Nodes.Count(n => n.OpType == "Gemm"), Is.EqualTo(3));
            Assert.That(nodes17.Inputs.Single().Name, Is.EqualTo("features"));
            Assert.That(nodes17.Inputs.Single().Shape!.ToString(), Does.Contain("batch").And.Contain("1280"));
            Assert.That(nodes17.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "probabilities", "label_index" }));
            Assert.That(nodes17.Outputs[1].ElementType, Is.EqualTo(OnnxDataType.Int64));
        });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => HeadOnnxExporter.Export(head, new HeadExportOptions { Opset = 12 }))!;
        Assert.That(error.Message, Does.Contain("13..23"));
    }

    [Test]
    public void MetadataCarriesLabelsMetricsAndTheCacheFingerprint()
    {
        var head = Softmax();
        var dataset = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var metrics = ClassificationMetrics.Evaluate(head, Val);
        var model = HeadOnnxExporter.Export(head, new HeadExportOptions { Metrics = [metrics], Fingerprint = dataset.Fingerprint }).Model;
        Assert.Multiple(() =>
        {
            Assert.That(model.GetMetadata("onnxtransfer.format"), Is.EqualTo("head/1"));
            Assert.That(model.GetMetadata("onnxtransfer.labels"), Is.EqualTo("[\"ants\",\"bees\"]"));
            Assert.That(model.GetMetadata("onnxtransfer.cache.fingerprint.sha256"), Is.EqualTo(HymenopteraCache.FingerprintSha256));
            Assert.That(model.GetMetadata("onnxtransfer.cache.fingerprint"), Is.EqualTo(HymenopteraCache.Fingerprint));
            Assert.That(model.GetMetadata("onnxtransfer.metrics"), Does.Contain("\"split\":\"val\"").And.Contain("\"accuracy\":"));
            Assert.That(model.GetMetadata("onnxtransfer.head"), Does.Contain("\"kind\":\"softmax-regression\"").And.Contain("\"C\""));
        });
        var imported = HeadOnnxImporter.Read(model);
        Assert.That(imported.Fingerprint, Is.EqualTo(dataset.Fingerprint));
        Assert.That(imported.Opset, Is.EqualTo(17));
    }

    [Test]
    public void AutoFoldsOnlyWhenFoldingStaysWithinTolerance()
    {
        // The real head: features around their mean with ordinary spread fold harmlessly.
        var real = HeadOnnxExporter.Export(Softmax());
        TestContext.Out.WriteLine("real head: " + real.Decision);
        Assert.That(real.StandardizationFolded, Is.True, real.Decision);
        Assert.That(real.FoldProbabilityChange, Is.LessThanOrEqualTo(1e-5));

        // Means far from zero against tiny spreads: W'·x and b' are huge and cancel, so float folding is not exact.
        const int d = 8;
        var mean = Enumerable.Repeat(3e4f, d).ToArray();
        var scale = Enumerable.Repeat(1e-3f, d).ToArray();
        var weights = Enumerable.Range(0, 2 * d).Select(i => (i % 3 - 1) * 0.7f).ToArray();
        var head = new Head(Head.SoftmaxRegressionKind, ["a", "b"], new FeaturePreprocessing(false, mean, scale),
            [new DenseLayer(d, 2, weights, [0.1f, -0.1f], Activation.Identity)]);
        var export = HeadOnnxExporter.Export(head);
        TestContext.Out.WriteLine("ill-conditioned head: " + export.Decision);
        Assert.That(export.StandardizationFolded, Is.False, export.Decision);
        Assert.That(export.Model.Nodes.Select(n => n.OpType), Is.SupersetOf(new[] { "Sub", "Div" }));
        Assert.That(export.Decision, Does.Contain("kept as Sub/Div"));
    }

    [Test]
    public void ImportRefusesModelsThatAreNotHeads()
    {
        var backbone = Assert.Throws<FormatException>(() => HeadOnnxImporter.Load(SharedData.MobileNetV2Int8Model))!;
        Assert.That(backbone.Message, Does.Contain("not an OnnxTransfer head").And.Contain("onnxtransfer train"));

        var model = HeadOnnxExporter.Export(Softmax()).Model;
        model.SetMetadata("onnxtransfer.format", "head/2");
        Assert.That(Assert.Throws<FormatException>(() => HeadOnnxImporter.Read(model))!.Message, Does.Contain("newer OnnxTransfer"));

        var tampered = HeadOnnxExporter.Export(Softmax()).Model;
        tampered.SetMetadata("onnxtransfer.labels", "[\"ants\",\"bees\",\"wasps\"]");
        Assert.That(Assert.Throws<FormatException>(() => HeadOnnxImporter.Read(tampered))!.Message, Does.Contain("does not describe a valid head"));
        Assert.Throws<FileNotFoundException>(() => HeadOnnxImporter.Load("/nonexistent/head.onnx"));
    }
}
