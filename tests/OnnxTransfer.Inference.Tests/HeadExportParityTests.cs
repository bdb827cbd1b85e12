using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// Parity of exported heads with the trainer: ONNX Runtime (our binding) runs the exported head on the val split of a
/// real cache (the Features extractor's MobileNetV2 embeddings of the hymenoptera images, read back by the trainer's
/// EmbeddingDataset) and must give the trainer's own PredictProba within 1e-5, and its label_index the trainer's
/// arg-max, for softmax regression and MLPs (ReLU, GELU in both opset forms), with and without standardisation and L2
/// normalisation, standardisation folded or as nodes.
/// </summary>
public class HeadExportParityTests
{
    private static readonly Lazy<(EmbeddingSet Train, EmbeddingSet Val)> Data = new(() =>
    {
        var dataset = EmbeddingDataset.Open(Path.Combine(Hymenoptera.Instance.Folder, "cache"));
        Assert.That(dataset.Splits, Is.EqualTo(new[] { "train", "val" }), "the extractor's cache, as the trainer reads it");
        var train = dataset.Load("train");
        return (train, dataset.Load("val", train.Classes));
    });

    public static IEnumerable<TestCaseData> Heads()
    {
        foreach (var preprocessing in new[] { PreprocessingKind.None, PreprocessingKind.Standardize, PreprocessingKind.L2NormalizeThenStandardize })
        {
            yield return new TestCaseData("softmax", preprocessing, 17, StandardizationExport.Auto);
            yield return new TestCaseData("mlp-relu", preprocessing, 17, StandardizationExport.Auto);
            yield return new TestCaseData("mlp-gelu", preprocessing, 17, StandardizationExport.Auto);
        }
        yield return new TestCaseData("softmax", PreprocessingKind.Standardize, 17, StandardizationExport.Nodes);
        yield return new TestCaseData("mlp-gelu", PreprocessingKind.L2NormalizeThenStandardize, 20, StandardizationExport.Nodes);
        yield return new TestCaseData("mlp-relu", PreprocessingKind.L2NormalizeThenStandardize, 18, StandardizationExport.Fold);
        yield return new TestCaseData("softmax", PreprocessingKind.L2Normalize, 13, StandardizationExport.Auto);
        // The linear skip path, folded into 2·classes hidden units (ReLU through two hidden layers; GELU through one).
        yield return new TestCaseData("mlp-skip-relu", PreprocessingKind.Standardize, 17, StandardizationExport.Auto);
        yield return new TestCaseData("mlp-skip-gelu", PreprocessingKind.L2NormalizeThenStandardize, 20, StandardizationExport.Auto);
    }

    [TestCaseSource(nameof(Heads))]
    public void RuntimeMatchesTrainerOnTheValSplit(string kind, PreprocessingKind preprocessing, int opset, StandardizationExport standardization)
    {
        var (train, val) = Data.Value;
        Head head = kind switch
        {
            "softmax" => new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.1, Preprocessing = preprocessing }).Fit(train),
            "mlp-skip-relu" or "mlp-skip-gelu" => new MlpTrainer(new MlpSettings
            {
                // No carve-out: all six epochs train the hidden branch, so the folded head holds both paths.
                HiddenLayers = kind == "mlp-skip-relu" ? [256, 64] : [256], Activation = kind == "mlp-skip-gelu" ? Activation.Gelu : Activation.Relu,
                Epochs = 6, Seed = 2, Preprocessing = preprocessing, ValidationFraction = 0,
                LinearSkip = new SoftmaxRegressionSettings { C = 0.1, Preprocessing = preprocessing },
            }).Fit(train),
            _ => new MlpTrainer(new MlpSettings
            {
                HiddenLayers = [256, 64], Activation = kind == "mlp-gelu" ? Activation.Gelu : Activation.Relu, Epochs = 6, Seed = 2,
                Preprocessing = preprocessing,
            }).Fit(train),
        };
        var export = HeadOnnxExporter.Export(head, new HeadExportOptions { Opset = opset, Standardization = standardization });
        var expected = head.PredictProba(val);

        using var session = new InferenceSession(export.Model.ToBytes(), new SessionOptions { IntraOpNumThreads = 1 });
        var features = val.Features.ToArray();
        using var input = OrtTestRuns.Tensor(features, [val.Count, val.Dimension]);
        using var result = session.RunNamed("features", input);
        var probabilities = result["probabilities"].GetTensorData<float>().ToArray();
        var labelIndex = result["label_index"].GetTensorData<long>().ToArray();

        Assert.That(probabilities, Has.Length.EqualTo(expected.Length));
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(probabilities[i] - expected[i]));
        TestContext.Out.WriteLine($"{kind}, {preprocessing}, opset {opset}: max |p_ort − p_trainer| = {maxDiff:G3} over {val.Count}×{head.ClassCount}; {export.Decision}");
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-5));

        int classes = head.ClassCount;
        for (int row = 0; row < val.Count; row++)
        {
            var p = expected.AsSpan(row * classes, classes);
            int argMax = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p);
            // Only a near-tie (within the parity budget) may flip between implementations.
            var sorted = p.ToArray().OrderDescending().ToArray();
            if (sorted[0] - sorted[1] > 2e-5) Assert.That(labelIndex[row], Is.EqualTo(argMax), $"row {row}");
        }
    }

    [Test]
    public void ImportedHeadRunsLikeTheExportedModel()
    {
        var (train, val) = Data.Value;
        var head = new MlpTrainer(new MlpSettings { HiddenLayers = [128], Epochs = 4, Seed = 5 }).Fit(train);
        using var temp = new TempDirectory();
        var path = temp.File("head.onnx");
        HeadOnnxExporter.Save(head, path);
        var imported = HeadOnnxImporter.Load(path).Head;

        using var session = new InferenceSession(path, new SessionOptions { IntraOpNumThreads = 1 });
        using var input = OrtTestRuns.Tensor(val.Features.ToArray(), [val.Count, val.Dimension]);
        using var result = session.RunNamed("features", input);
        var fromRuntime = result["probabilities"].GetTensorData<float>().ToArray();
        var fromImport = imported.PredictProba(val);
        double maxDiff = fromRuntime.Zip(fromImport, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"max |p_ort − p_imported| = {maxDiff:G3}");
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-5));
    }
}
