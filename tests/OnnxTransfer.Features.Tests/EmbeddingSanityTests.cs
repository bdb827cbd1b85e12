using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Rows no head should learn from: an embedding with NaN or infinity becomes an error row (non-finite-embedding) and the
/// run goes on; all-zero embeddings are kept and counted. Real photos through a model whose feature is the square root
/// of each channel's mean (NaN where a normalised channel mean is negative), checked against the same model's means.
/// </summary>
[NonParallelizable]
public class EmbeddingSanityTests
{
    [Test]
    public void NaNEmbeddingsBecomeErrorRowsAndTheRunGoesOn()
    {
        using var folder = new TempDirectory("features-non-finite");
        var images = SharedData.LinkHymenopteraPhotos(folder.File("images"), 8, "val/ants", "val/bees");
        var model = folder.File("channel-means.onnx");
        var b = new GraphBuilder("channel_means", opsetVersion: 17);
        var x = b.AddInput("image", OnnxDataType.Float, "N", 3, 32, 32);
        var pooled = b.AddNode("GlobalAveragePool", [x]).Output;
        var means = b.AddNode("Flatten", [pooled], ["means"]).Int("axis", 1).Output;
        b.AddNode("Sqrt", [means], ["roots"]);
        b.AddNode("Mul", [means, b.AddInitializer("zero", new[] { 0f }, [1])], ["zeros"]);
        b.AddOutput("roots");
        b.AddOutput("zeros");
        b.Build().Save(model);

        using var meansBackbone = ImageBackbone.Load(SyntheticBackbones.Spec(model, tensor: "means"));
        using var rootsBackbone = ImageBackbone.Load(SyntheticBackbones.Spec(model, tensor: "roots"));
        Extract.Run(images, folder.File("means"), new ExtractionOptions { BatchSize = 5 }, meansBackbone);
        var summary = Extract.Run(images, folder.File("roots"), new ExtractionOptions { BatchSize = 5 }, rootsBackbone);

        var reference = Extract.Read(folder.File("means"));
        var negative = Enumerable.Range(0, reference.Count).Where(i => reference.Row(i).ToArray().Any(v => v < 0)).Select(i => reference.Ids[i]).ToHashSet();
        Assume.That(negative, Is.Not.Empty.And.Count.LessThan(reference.Count), "the photos give both signs");
        var errors = Extract.Errors(folder.File("roots"));
        Assert.That(errors.Select(e => e.Id), Is.EquivalentTo(negative));
        Assert.That(errors.Select(e => e.Reason), Is.All.EqualTo(ExtractionRun.NonFiniteEmbedding));
        Assert.That(errors[0].Message, Does.Contain("NaN or infinity"));
        Assert.That((summary.Embedded, summary.Failed), Is.EqualTo((reference.Count - negative.Count, negative.Count)));
        var roots = Extract.Read(folder.File("roots"));
        var index = reference.IndexById();
        for (var i = 0; i < roots.Count; i++)
            Assert.That(roots.Row(i).ToArray(), Is.EqualTo(reference.Row(index[roots.Ids[i]]).ToArray().Select(MathF.Sqrt)).Within(1e-6f));

        using var zerosBackbone = ImageBackbone.Load(SyntheticBackbones.Spec(model, tensor: "zeros"));
        var zeros = Extract.Run(images, folder.File("zeros"), new ExtractionOptions { BatchSize = 5 }, zerosBackbone);
        Assert.That((zeros.Embedded, zeros.ZeroEmbeddings, zeros.Failed), Is.EqualTo((reference.Count, reference.Count, 0)), "kept, and counted");
        Assert.That(summary.ZeroEmbeddings, Is.Zero);
    }
}
