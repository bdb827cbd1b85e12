using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Formats;
using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Ood;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The OOD score through the training workflow and the exported head, on the real hymenoptera cache: the head's
/// <c>ood_score</c> output run by ONNX Runtime equals the library's score, the threshold and method travel in the
/// metadata, the threshold depends on the training split only, and a method a head cannot carry is refused.
/// </summary>
public class OodExportTests
{
    private static HeadTrainingResult Train(string kind, string ood, string? evaluation = null, bool l2 = false) =>
        HeadTrainingRun.Train(EmbeddingDataset.Open(HymenopteraCache.Directory), EmbeddingDataset.Open(HymenopteraCache.Directory).PlanSplits("train", evaluation),
            new HeadTrainingSettings
            {
                Kind = kind, Ood = ood,
                Softmax = new() { C = 0.1, Preprocessing = l2 ? PreprocessingKind.L2NormalizeThenStandardize : PreprocessingKind.Standardize },
                Mlp = new() { HiddenLayers = [32], Epochs = 3, Seed = 1 },
            });

    [TestCase(Head.SoftmaxRegressionKind, OodMethod.Mahalanobis, true)]
    [TestCase(Head.SoftmaxRegressionKind, OodMethod.Energy, false)]
    [TestCase(Head.SoftmaxRegressionKind, OodMethod.MaxSoftmax, false)]
    [TestCase(Head.MlpKind, OodMethod.Energy, false)]
    [TestCase(Head.NearestNeighboursKind, OodMethod.Mahalanobis, false)]
    [TestCase(Head.NearestNeighboursKind, OodMethod.MaxSoftmax, false)]
    public void ExportedScoreEqualsTheLibrarysUnderOnnxRuntime(string kind, string method, bool l2)
    {
        var result = Train(kind, method, l2: l2);
        var detector = result.Ood!;
        var val = EmbeddingDataset.Open(HymenopteraCache.Directory).Load("val", result.Head.Labels);
        var expected = detector.Score(result.Head, val);

        using var temp = new TempDirectory();
        var path = temp.File("head.onnx");
        result.Export(path, opset: 17);
        var model = Onnx.OnnxModel.Load(path);
        Assert.That(model.Outputs.Select(o => o.Name), Is.EqualTo(new[] { ModelLayout.ProbabilitiesOutput, ModelLayout.LabelIndexOutput, ModelLayout.OodScoreOutput }));
        Assert.That(model.GetMetadata(MetadataKeys.OodMethod), Is.EqualTo(method));
        Assert.That(float.Parse(model.GetMetadata(MetadataKeys.OodThreshold)!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(detector.Threshold));

        using var session = new InferenceSession(path);
        using var input = OrtTestRuns.Tensor(val.Features.ToArray(), [val.Count, val.Dimension]);
        using var outputs = session.RunNamed(ModelLayout.HeadInput, input);
        var actual = outputs[ModelLayout.OodScoreOutput].GetTensorData<float>().ToArray();
        Assert.That(actual, Has.Length.EqualTo(val.Count));
        double worst = 0;
        for (int r = 0; r < val.Count; r++) worst = Math.Max(worst, Math.Abs(actual[r] - expected[r]) / Math.Max(1, Math.Abs(expected[r])));
        TestContext.Out.WriteLine($"{kind} {method}: threshold {detector.Threshold:G6}; ONNX Runtime vs library, worst |Δ|/max(1,|score|) {worst:E2} over {val.Count} val rows; " +
                                  string.Join("; ", result.OodReport!.Lines()));
        Assert.That(worst, Is.LessThanOrEqualTo(1e-5));
        Assert.That(result.OodReport!.NoiseAuroc, Is.Not.Null);
    }

    [Test]
    public void ThresholdDoesNotDependOnTheEvaluationSplit()
    {
        var withVal = Train(Head.SoftmaxRegressionKind, OodMethod.Mahalanobis, "val");
        var without = Train(Head.SoftmaxRegressionKind, OodMethod.Mahalanobis, "none");
        Assert.That(withVal.OodReport!.EvaluationSplit, Is.EqualTo("val"));
        Assert.That(without.OodReport!.EvaluationSplit, Is.Null);
        Assert.That(without.Ood!.Threshold, Is.EqualTo(withVal.Ood!.Threshold), "the threshold is chosen on training rows only");
        Assert.That(withVal.OodReport.EvaluationFlagged, Is.InRange(0.0, 0.3), "about the target 5% of in-distribution val rows are flagged");
    }

    [Test]
    public void EnergyOfAKnnHeadIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => Train(Head.NearestNeighboursKind, OodMethod.Energy))!;
        Assert.That(error.Message, Does.Contain("no logits").And.Contain("mahalanobis"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OodFitter(OodMethod.Mahalanobis, 1.0));
        Assert.Throws<ArgumentException>(() => new OodFitter("density"));
    }
}
