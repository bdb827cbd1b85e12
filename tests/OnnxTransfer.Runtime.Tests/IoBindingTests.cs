using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

/// <summary>
/// Issue 14, IOBinding with reused host buffers (the CPU-testable part): a batch's tensors bound to the session once give
/// the reference logits run after run, bit for bit what a plain run gives; a host tensor is a managed array wherever no
/// CUDA provider runs (pinned memory exists only beside one), and its row views share its memory.
/// </summary>
public sealed class IoBindingTests
{
    private const int Batch = 8;

    [Test]
    public void BoundTensorsGiveThePlainRunsLogitsRunAfterRun()
    {
        using var session = ModelSession.Open(SharedData.MobileNetV2Int8Model, new SessionSettings());
        using var input = session.CreateHostTensor([Batch, 3, 224, 224], pinned: true);
        using var output = session.CreateHostTensor([Batch, Reference.Classes], pinned: true);
        Assert.That((input.IsPinned, output.IsPinned), Is.EqualTo((false, false)), "no CUDA provider: managed memory, as asked or not");
        using var bound = session.Bind(["input"], [input.Full], ["output"], [output.Full]);

        var plain = new float[Batch * Reference.Classes];
        foreach (var offset in new[] { 0, 3 }) // the same buffers refilled with other images: the binding reads what they hold now
        {
            var images = Enumerable.Range(offset, Batch).Select(i => Reference.Images[i % Reference.Images.Count]).ToArray();
            for (var i = 0; i < Batch; i++) images[i].Input.CopyTo(input.Span.Slice(i * images[i].Input.Length, images[i].Input.Length));
            output.Span.Fill(float.NaN);
            bound.Run();

            using (var plainInput = TensorValues.Over<float>(input.Span.ToArray(), [Batch, 3, 224, 224]))
            using (var plainOutput = TensorValues.Over<float>(plain, [Batch, Reference.Classes]))
                session.Run(["input"], [plainInput], ["output"], [plainOutput]);
            Assert.That(output.Span.ToArray(), Is.EqualTo(plain), $"images from {offset}: bound = plain, bit for bit");
            for (var i = 0; i < Batch; i++)
                Assert.That(Reference.MaxAbsDiff(output.Span.Slice(i * Reference.Classes, Reference.Classes), images[i].Logits), Is.LessThanOrEqualTo(1e-3f), images[i].Name);
        }
    }

    [Test]
    public void RowsAreViewsOfTheSameMemory()
    {
        using var session = ModelSession.Open(SharedData.MobileNetV2Int8Model, new SessionSettings());
        using var tensor = session.CreateHostTensor([4, 3, 2], pinned: false);
        tensor.Span[7] = 42; // row 1, element 1
        using var rows = tensor.Rows(2);
        Assert.That(TensorValues.ShapeOf(rows), Is.EqualTo(new long[] { 2, 3, 2 }));
        Assert.That(rows.GetTensorDataAsSpan<float>()[7], Is.EqualTo(42f));
        rows.GetTensorMutableDataAsSpan<float>()[8] = 7;
        Assert.That(tensor.Span[8], Is.EqualTo(7f), "a row view writes the tensor's memory");
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Rows(5));
        Assert.Throws<ArgumentException>(() => session.CreateHostTensor([0, 3], pinned: false));
    }
}
