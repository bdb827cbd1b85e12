using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// The cosine k-NN head on the real hymenoptera embeddings (the shared MobileNetV2 cache): ONNX Runtime running the
/// exported head (TopK, weighted one-hot vote) gives the trainer's probabilities and arg-max on the val split, the head
/// read back by the importer predicts the same, and the head fused into the backbone gives what the chained backbone +
/// head give on the val images.
/// </summary>
[NonParallelizable]
public class NearestNeighboursHeadTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    [TestCase(1, 17)]
    [TestCase(10, 17)]
    [TestCase(25, 13)]
    public void RuntimeMatchesTrainerOnTheValSplit(int k, int opset)
    {
        var head = new NearestNeighboursTrainer(k).Fit(H.Train.Set);
        Assert.That(head.Vote!.K, Is.EqualTo(k));
        var export = HeadOnnxExporter.Export(head, Hymenoptera.ExportOptions(H.Backbone.Fingerprint, opset));
        var expected = head.PredictProba(H.Val.Set);
        var expectedLabels = Enumerable.Range(0, H.Val.Ids.Length).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(expected.AsSpan(i * head.ClassCount, head.ClassCount))).ToArray();

        var (probabilities, labelIndex) = HeadRuntimeRuns.OnVal(export);

        double maxDiff = probabilities.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        int agree = Enumerable.Range(0, labelIndex.Length).Count(i => labelIndex[i] == expectedLabels[i]);
        double accuracy = Enumerable.Range(0, labelIndex.Length).Count(i => head.Labels[(int)labelIndex[i]] == H.Val.Labels[i]) / (double)labelIndex.Length;
        TestContext.Out.WriteLine($"k={k}, opset {opset}: max |p_ort − p_trainer| = {maxDiff:G3}; label_index agrees on {agree}/{labelIndex.Length}; val accuracy {accuracy:P1}");
        Assert.Multiple(() =>
        {
            Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-5));
            Assert.That(agree, Is.EqualTo(labelIndex.Length));
            Assert.That(accuracy, Is.GreaterThan(0.8), "neighbours in ImageNet feature space separate ants from bees");
        });

        var imported = HeadOnnxImporter.Read(export.Model).Head;
        Assert.That(imported.Kind, Is.EqualTo(Head.NearestNeighboursKind));
        Assert.That(imported.Vote!.RowLabels, Is.EqualTo(head.Vote.RowLabels));
        Assert.That(imported.PredictProba(H.Val.Set), Is.EqualTo(expected), "the importer gives back the same head");
    }

    [Test]
    public void FusedModelEqualsTheChainedRunOnTheValImages()
    {
        var head = new NearestNeighboursTrainer().Fit(H.Train.Set);
        var headPath = Path.Combine(H.Folder, "knn-head.onnx");
        HeadOnnxExporter.Save(head, headPath, Hymenoptera.ExportOptions(H.Backbone.Fingerprint));
        var headModel = HeadModel.Load(headPath);
        var fusedPath = Path.Combine(H.Folder, "knn-fused.onnx");
        new FusedModelComposer(new ComposeOptions()).Compose(H.Backbone, headModel).Save(fusedPath);

        int classes = head.ClassCount;
        float[] chained, fused;
        using (var predictor = Predictor.FromBackbone(Hymenoptera.Spec(), headModel)) chained = CompositionParityTests.Probabilities(predictor.PredictFiles(H.Val.Sources), classes);
        using (var predictor = Predictor.FromFusedModel(fusedPath)) fused = CompositionParityTests.Probabilities(predictor.PredictFiles(H.Val.Sources), classes);
        var trainer = head.PredictProba(H.Val.Set);

        float fusedVsChained = fused.Zip(chained, (a, b) => Math.Abs(a - b)).Max();
        float chainedVsTrainer = chained.Zip(trainer, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"k-NN head: max |Δp| fused vs chained {fusedVsChained:E2}, chained vs trainer on the cache {chainedVsTrainer:E2}");
        Assert.Multiple(() =>
        {
            Assert.That(fusedVsChained, Is.LessThanOrEqualTo(1e-5f));
            Assert.That(chainedVsTrainer, Is.LessThanOrEqualTo(1e-5f));
        });
    }
}
