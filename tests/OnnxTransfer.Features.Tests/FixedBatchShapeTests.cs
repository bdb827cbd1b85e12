using OnnxTransfer.Features.Backbones;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Fixed batch shapes (a short batch padded to the capacity, the padding rows dropped) give the real rows exactly the
/// embeddings of a short run, and nothing of the padding reaches the output; the GPU settings are refused where they
/// cannot apply.
/// </summary>
public sealed class FixedBatchShapeTests
{
    private const int Capacity = 8;
    private const int Real = 5;

    [Test]
    public void PaddedShortBatchEmbedsTheRealRowsExactlyAsAShortRun()
    {
        var images = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(Capacity + Real).ToArray();
        using var padded = ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { FixedBatch = SpeedSwitch.On });
        using var shortRun = ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { FixedBatch = SpeedSwitch.Off });
        Assert.That(padded.PadsShortBatches, Is.True);
        Assert.That(shortRun.PadsShortBatches, Is.False);

        var dimension = padded.Dimension;
        var expected = Embed(shortRun, images, dimension);
        var actual = Embed(padded, images, dimension);
        TestContext.Out.WriteLine($"{Real} real rows of a batch of {Capacity}, after a full batch left other photos in the padding slots");
        for (var row = 0; row < Real; row++)
            Assert.That(actual.AsSpan(row * dimension, dimension).ToArray(), Is.EqualTo(expected.AsSpan(row * dimension, dimension).ToArray()), $"row {row}");
        Assert.That(actual.AsSpan(Real * dimension).ToArray(), Has.All.NaN, "the padding rows are never written to the output");
    }

    /// <summary>A full batch first (so the padding slots hold other real photos), then a short batch of <see cref="Real"/>.</summary>
    private static float[] Embed(ImageBackbone backbone, string[] images, int dimension)
    {
        using var batch = backbone.CreateBatch(Capacity);
        var full = new float[Capacity * dimension];
        for (var i = 0; i < Capacity; i++) backbone.Prepare(images[Real + i], batch.ImageSlot(i));
        backbone.Embed(batch, Capacity, full);
        for (var i = 0; i < Real; i++) backbone.Prepare(images[i], batch.ImageSlot(i));
        var output = new float[Capacity * dimension];
        Array.Fill(output, float.NaN);
        backbone.Embed(batch, Real, output);
        return output;
    }

    [Test]
    public void FixedBatchIsOnByDefaultForCudaOnly()
    {
        Assert.That(new BackboneRunOptions().PadsShortBatches, Is.False);
        Assert.That(new BackboneRunOptions { Device = DeviceKind.Cuda }.PadsShortBatches, Is.True);
        Assert.That(new BackboneRunOptions { Device = DeviceKind.Cuda, FixedBatch = SpeedSwitch.Off }.PadsShortBatches, Is.False);
        Assert.That(new BackboneRunOptions { Device = DeviceKind.Cuda }.EffectiveCudnnSearch, Is.EqualTo(CudnnSearch.Exhaustive));
    }

    [Test]
    public void CudnnSearchOnCpuIsRefusedNamingTheFix()
    {
        var options = new BackboneRunOptions { CudnnSearch = CudnnSearch.Heuristic };
        var e = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.That(e!.Message, Does.Contain("--cudnn-search").And.Contain("--device cuda"));
        Assert.DoesNotThrow(() => (options with { Device = DeviceKind.Cuda }).Validate());
    }

    [TestCase("EXHAUSTIVE", CudnnSearch.Exhaustive)]
    [TestCase("heuristic", CudnnSearch.Heuristic)]
    [TestCase("default", CudnnSearch.Default)]
    public void CudnnSearchNamesRoundTrip(string text, CudnnSearch search)
    {
        Assert.That(GpuBatchNames.ParseCudnnSearch(text), Is.EqualTo(search));
        Assert.That(GpuBatchNames.ParseCudnnSearch(GpuBatchNames.Of(search)), Is.EqualTo(search));
        Assert.That(GpuBatchNames.ParseCudnnSearch("fast"), Is.Null);
        Assert.That(GpuBatchNames.ParseSwitch("ON"), Is.EqualTo(SpeedSwitch.On));
        Assert.That(GpuBatchNames.ParseSwitch("sometimes"), Is.Null);
    }
}
