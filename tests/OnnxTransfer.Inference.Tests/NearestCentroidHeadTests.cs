using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.FewShot;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// The nearest-centroid head (class means of unit rows; a Gemm with bias −scale·‖m‖²/2) on the real hymenoptera
/// embeddings: ONNX Runtime running the exported head gives the trainer's probabilities and arg-max on the val split,
/// for a head fitted on all of train and on 4 rows per class.
/// </summary>
[NonParallelizable]
public class NearestCentroidHeadTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    [TestCase(0)]
    [TestCase(4)]
    public void RuntimeMatchesTrainerOnTheValSplit(int shots)
    {
        var train = shots == 0 ? H.Train.Set : H.Train.Set.Select(FewShotCurve.DrawRows(H.Train.Set, shots, seed: 0, draw: 0), $"train-{shots}-shot");
        var head = new NearestCentroidTrainer().Fit(train);
        Assert.That(head.Layers[0].Bias, Has.All.LessThan(0f), "each class's bias is −scale·‖m‖²/2");
        var export = HeadOnnxExporter.Export(head, Hymenoptera.ExportOptions(H.Backbone.Fingerprint));
        var expected = head.PredictProba(H.Val.Set);
        var expectedLabels = head.Predict(H.Val.Set.Features);

        var (probabilities, labelIndex) = HeadRuntimeRuns.OnVal(export);

        double maxDiff = probabilities.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"centroid head, {(shots == 0 ? "all of train" : $"{shots} per class")}: max |p_ort − p_trainer| = {maxDiff:G3}");
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-5));
        Assert.That(labelIndex.Select(l => (int)l), Is.EqualTo(expectedLabels));
    }
}
