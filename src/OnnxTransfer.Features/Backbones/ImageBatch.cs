using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Formats;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// Reused buffers for one batch of an <see cref="ImageBackbone"/>: the input tensor (decoders write each image's slice in
/// place), the raw feature tensor ORT writes into, and the ORT values over both for a full batch (made once; partial
/// batches get short-lived values over the same memory). Owned by one pipeline slot; dispose to unpin.
/// </summary>
public sealed class ImageBatch : BackboneBatch
{
    private readonly OrtValue _fullInput;
    private readonly OrtValue _fullOutput;

    internal ImageBatch(int capacity, int imageLength, long[] imageShape, int featureLength, long[] featureShape) : base(capacity)
    {
        ImageLength = imageLength;
        FeatureLength = featureLength;
        ImageShape = imageShape;
        FeatureShape = featureShape;
        Input = new float[checked(capacity * imageLength)];
        RawFeatures = new float[checked(capacity * featureLength)];
        _fullInput = TensorValues.Over<float>(Input, Shape(capacity, imageShape));
        _fullOutput = TensorValues.Over<float>(RawFeatures, Shape(capacity, featureShape));
    }

    /// <summary>Floats per image in <see cref="Input"/>.</summary>
    public int ImageLength { get; }

    /// <summary>Floats per image in <see cref="RawFeatures"/>.</summary>
    public int FeatureLength { get; }

    internal long[] ImageShape { get; }

    internal long[] FeatureShape { get; }

    /// <summary>The batch input tensor, [capacity, …image shape].</summary>
    public float[] Input { get; }

    /// <summary>The feature tensor as the model computes it, [capacity, …feature shape].</summary>
    public float[] RawFeatures { get; }

    /// <summary>Image <paramref name="index"/>'s slice of the input tensor.</summary>
    public Span<float> ImageSlot(int index) => Input.AsSpan(index * ImageLength, ImageLength);

    /// <summary>The input and output values for a run over the first <paramref name="rows"/> images.</summary>
    internal (OrtValue Input, OrtValue Output, bool Owned) Values(int rows)
    {
        if (rows == Capacity) return (_fullInput, _fullOutput, false);
        return (TensorValues.Over(new Memory<float>(Input, 0, rows * ImageLength), Shape(rows, ImageShape)),
            TensorValues.Over(new Memory<float>(RawFeatures, 0, rows * FeatureLength), Shape(rows, FeatureShape)), true);
    }

    public override void Dispose()
    {
        _fullInput.Dispose();
        _fullOutput.Dispose();
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
