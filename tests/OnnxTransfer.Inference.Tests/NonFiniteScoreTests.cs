using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Scoring;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// A score that is NaN is no score: real photos through a backbone whose feature is the square root of each channel's
/// mean (NaN where a normalised channel mean is negative) and a softmax head; exactly those inputs become error rows
/// (non-finite-probabilities), the others are scored, and the run succeeds.
/// </summary>
public class NonFiniteScoreTests
{
    [Test]
    public void NaNProbabilitiesBecomeErrorRowsAndTheRunGoesOn()
    {
        using var folder = new TempDirectory("scorer-non-finite");
        var images = folder.File("images");
        SharedData.LinkHymenopteraPhotos(images, 8, "val/ants", "val/bees");
        var model = folder.File("channel-roots.onnx");
        var b = new GraphBuilder("channel_roots", opsetVersion: 17);
        var x = b.AddInput("image", OnnxDataType.Float, "N", 3, 32, 32);
        var means = b.AddNode("Flatten", [b.AddNode("GlobalAveragePool", [x]).Output], ["means"]).Int("axis", 1).Output;
        b.AddNode("Sqrt", [means], ["roots"]);
        b.AddOutput("roots");
        b.AddOutput("means");
        b.Build().Save(model);
        var roots = ImageSpec(model, folder, "roots");
        var inputs = InputSet.Open(images);

        // Which photos have a negative channel mean: the model's own means, one batch.
        using var meansBackbone = ImageBackbone.Load(ImageSpec(model, folder, "means"));
        var files = inputs.Items.Select(i => i.Source).ToArray();
        using var batch = meansBackbone.CreateBatch(files.Length);
        for (var i = 0; i < files.Length; i++) meansBackbone.Prepare(files[i], batch.ImageSlot(i));
        var channelMeans = new float[files.Length * 3];
        meansBackbone.Embed(batch, files.Length, channelMeans);
        var negative = Enumerable.Range(0, files.Length).Count(i => channelMeans.AsSpan(i * 3, 3).ToArray().Any(v => v < 0));
        Assume.That(negative, Is.InRange(1, files.Length - 1), "the photos give both signs");

        using var rootsBackbone = ImageBackbone.Load(roots);
        var random = new Random(5);
        var features = Enumerable.Range(0, 3 * 20).Select(_ => (float)random.NextDouble()).ToArray();
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1 }).Fit(
            EmbeddingSet.Create("made-up", features, 3, [.. Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "ants" : "bees")]));
        var headPath = folder.File("head.onnx");
        HeadOnnxExporter.Save(head, headPath, Hymenoptera.ExportOptions(rootsBackbone.Fingerprint));
        using var predictor = Predictor.FromBackbone(roots, HeadModel.Load(headPath), new PredictorOptions { MaxBatchSize = 5 });

        var summary = new BatchScorer(predictor, new ScoringOptions()).Run(inputs, folder.File("scores"));

        Assert.That(summary.Succeeded, Is.True, summary.ToString());
        Assert.That(summary.Errors, Is.EqualTo(negative));
        Assert.That(summary.ErrorsByReason, Is.EqualTo(new Dictionary<string, int> { ["non-finite-probabilities"] = negative }));
        Assert.That(summary.RowsThisRun, Is.EqualTo(files.Length));
    }

    private static BackboneSpec ImageSpec(string model, TempDirectory folder, string tensor)
    {
        var built = BackboneSpecBuilder.FromModel(model, folder.File($"{tensor}.backbone.json"), featureTensor: tensor).Spec;
        return built with
        {
            Image = built.Image! with { Preprocess = built.Image.Preprocess with { Width = 32, Height = 32, ResizeShorterSide = 36 } },
        };
    }
}
