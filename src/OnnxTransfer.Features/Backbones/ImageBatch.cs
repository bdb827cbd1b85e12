using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Formats;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// Reused buffers for one batch of an <see cref="ImageBackbone"/>: the input tensor (decoders write each image's slice in
/// place) and the raw feature tensor ORT writes into, as <see cref="HostTensor"/>s (pinned host memory on CUDA when the
/// batch is bound), and, when bound, the two tensors bound to the session once (IOBinding). Partial batches get
/// short-lived values over the same memory. Owned by one pipeline slot; dispose it before the backbone.
/// </summary>
public sealed class ImageBatch : BackboneBatch
{
    private readonly HostTensor _input;
    private readonly HostTensor _features;

    /// <param name="session">With the names: bind the batch's tensors to this session (pinned on CUDA); null: plain runs.</param>
    internal ImageBatch(int capacity, int imageLength, long[] imageShape, int featureLength, long[] featureShape,
        ModelSession? session = null, string? inputName = null, string? featureName = null) : base(capacity)
    {
        ImageLength = imageLength;
        FeatureLength = featureLength;
        _input = HostTensor.For(session, Shape(capacity, imageShape));
        try
        {
            _features = HostTensor.For(session, Shape(capacity, featureShape));
            if (session is not null) Bound = session.Bind([inputName!], [_input.Full], [featureName!], [_features.Full]);
        }
        catch
        {
            _features?.Dispose();
            _input.Dispose();
            throw;
        }
    }

    /// <summary>Floats per image in <see cref="Input"/>.</summary>
    public int ImageLength { get; }

    /// <summary>Floats per image in <see cref="RawFeatures"/>.</summary>
    public int FeatureLength { get; }

    /// <summary>The batch input tensor, [capacity, …image shape].</summary>
    public Span<float> Input => _input.Span;

    /// <summary>The feature tensor as the model computes it, [capacity, …feature shape].</summary>
    public Span<float> RawFeatures => _features.Span;

    /// <summary>True when the tensors live in pinned host memory (a bound batch on CUDA).</summary>
    public bool IsPinned => _input.IsPinned;

    /// <summary>The full batch's tensors bound to the session (IOBinding), or null for plain runs.</summary>
    internal BoundRun? Bound { get; }

    /// <summary>Image <paramref name="index"/>'s slice of the input tensor.</summary>
    public Span<float> ImageSlot(int index) => Input.Slice(index * ImageLength, ImageLength);

    /// <summary>The input and output values for a run over the first <paramref name="rows"/> images.</summary>
    internal (OrtValue Input, OrtValue Output, bool Owned) Values(int rows) =>
        rows == Capacity ? (_input.Full, _features.Full, false) : (_input.Rows(rows), _features.Rows(rows), true);

    public override void Dispose()
    {
        Bound?.Dispose();
        _input.Dispose();
        _features.Dispose();
    }

    /// <summary>The tensor shape of <paramref name="rows"/> images: [rows, …<paramref name="perExample"/>].</summary>
    public static long[] Shape(int rows, long[] perExample)
    {
        var shape = new long[perExample.Length + 1];
        shape[0] = rows;
        perExample.CopyTo(shape, 1);
        return shape;
    }
}
