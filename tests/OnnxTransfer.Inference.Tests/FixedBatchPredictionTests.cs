using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// Issue 14, scoring on steady batch shapes (CPU-testable part): a predictor that pads its short batches (fused model
/// and backbone + head) gives every real photo exactly the probabilities of one that runs them short, and one whose
/// batches are bound to the session (IOBinding) exactly those of plain runs.
/// </summary>
public sealed class FixedBatchPredictionTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    [Test]
    public void PaddedShortBatchesPredictExactlyAsShortOnes()
    {
        // 7 photos in batches of 4: the last batch has 3 real rows and one padding row.
        var sources = H.Val.Sources.Take(7).ToArray();
        var classes = H.Head.ClassCount;
        float[] Run(SpeedSwitch mode, bool fused)
        {
            var options = new PredictorOptions { MaxBatchSize = 4, FixedBatch = mode };
            using var predictor = fused ? Predictor.FromFusedModel(H.FusedPath, options) : Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel, options);
            var predictions = predictor.PredictFiles(sources);
            Assert.That(predictions, Has.Count.EqualTo(sources.Length), "one prediction per photo, none for padding");
            return CompositionParityTests.Probabilities(predictions, classes);
        }
        foreach (var fused in new[] { true, false })
            Assert.That(Run(SpeedSwitch.On, fused), Is.EqualTo(Run(SpeedSwitch.Off, fused)), fused ? "fused model" : "backbone + head");
    }

    [Test]
    public void BoundBatchesPredictExactlyAsPlainOnes()
    {
        // 11 photos in batches of 4: two full bound batches, then a short one (run short, or padded through the binding).
        var sources = H.Val.Sources.Skip(20).Take(11).ToArray();
        var classes = H.Head.ClassCount;
        float[] Run(SpeedSwitch binding, SpeedSwitch fixedBatch, bool fused)
        {
            var options = new PredictorOptions { MaxBatchSize = 4, IoBinding = binding, FixedBatch = fixedBatch };
            using var predictor = fused ? Predictor.FromFusedModel(H.FusedPath, options) : Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel, options);
            var predictions = predictor.PredictFiles(sources);
            Assert.That(predictions, Has.Count.EqualTo(sources.Length));
            return CompositionParityTests.Probabilities(predictions, classes);
        }
        foreach (var fused in new[] { true, false })
        foreach (var fixedBatch in new[] { SpeedSwitch.Off, SpeedSwitch.On })
            Assert.That(Run(SpeedSwitch.On, fixedBatch, fused), Is.EqualTo(Run(SpeedSwitch.Off, fixedBatch, fused)),
                $"{(fused ? "fused model" : "backbone + head")}, fixed batch {GpuBatchNames.Of(fixedBatch)}");
    }
}
