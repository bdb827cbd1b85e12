using OnnxTransfer.Features.Backbones;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Issue 14, IOBinding (CPU-testable part): a backbone whose batches are bound to the session once embeds every photo
/// bit for bit as one that runs plainly — full batches through the binding, refilled batch after batch, a short batch
/// run short or padded — and the setting defaults to on for CUDA only.
/// </summary>
public sealed class IoBindingEmbeddingTests
{
    private const int Capacity = 8;

    [TestCase(SpeedSwitch.Off)]
    [TestCase(SpeedSwitch.On)]
    public void BoundBatchesEmbedExactlyAsPlainOnes(SpeedSwitch fixedBatch)
    {
        // Two full batches (the second refills the bound buffers) and a short one of 3.
        var images = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", "bees"), "*.jpg").Order(StringComparer.Ordinal).Take(2 * Capacity + 3).ToArray();
        using var bound = ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { IoBinding = SpeedSwitch.On, FixedBatch = fixedBatch });
        using var plain = ImageBackbone.Load(TestBackbones.MobileNetV2Spec(), new BackboneRunOptions { IoBinding = SpeedSwitch.Off, FixedBatch = fixedBatch });
        Assert.That((bound.BindsBatches, plain.BindsBatches), Is.EqualTo((true, false)));

        var expected = Embed(plain, images);
        var actual = Embed(bound, images);
        Assert.That(actual, Is.EqualTo(expected), $"{images.Length} photos in batches of {Capacity}, fixed batch {GpuBatchNames.Of(fixedBatch)}");
        Assert.That(actual, Has.None.NaN);
    }

    private static float[] Embed(ImageBackbone backbone, string[] images)
    {
        using var batch = backbone.CreateBatch(Capacity);
        Assert.That(batch.IsPinned, Is.False, "pinned host memory only beside a CUDA provider");
        var embeddings = new float[images.Length * backbone.Dimension];
        for (var start = 0; start < images.Length; start += Capacity)
        {
            var count = Math.Min(Capacity, images.Length - start);
            for (var i = 0; i < count; i++) backbone.Prepare(images[start + i], batch.ImageSlot(i));
            backbone.Embed(batch, count, embeddings.AsSpan(start * backbone.Dimension, count * backbone.Dimension));
        }
        return embeddings;
    }

    [Test]
    public void IoBindingIsOnByDefaultForCudaOnly()
    {
        Assert.That(new BackboneRunOptions().BindsBatches, Is.False);
        Assert.That(new BackboneRunOptions { Device = DeviceKind.Cuda }.BindsBatches, Is.True);
        Assert.That(new BackboneRunOptions { Device = DeviceKind.Cuda, IoBinding = SpeedSwitch.Off }.BindsBatches, Is.False);
        Assert.That(new BackboneRunOptions { IoBinding = SpeedSwitch.On }.BindsBatches, Is.True);
    }
}
