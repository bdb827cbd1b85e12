using System.Runtime.InteropServices;

using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxTransfer.Runtime;

/// <summary>A dense, C-ordered, little-endian array as stored in a NumPy <c>.npy</c> file.</summary>
public sealed class NpyArray
{
    public NpyArray(TensorElementType elementType, long[] shape, byte[] data)
    {
        var size = elementType.SizeInBytes();
        if (size == 0) throw new ArgumentException($"Element type {elementType} has no fixed size.", nameof(elementType));
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0) throw new ArgumentException("Negative dimension in shape.", nameof(shape));
            count = checked(count * dim);
        }
        if (checked(count * size) != data.LongLength)
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] of {elementType} needs {count * size} bytes, got {data.LongLength}.", nameof(data));
        ElementType = elementType;
        Shape = shape;
        Data = data;
        ElementCount = count;
    }

    public TensorElementType ElementType { get; }
    public long[] Shape { get; }
    public long ElementCount { get; }

    /// <summary>The raw little-endian element bytes.</summary>
    public byte[] Data { get; }

    /// <summary>The elements as <typeparamref name="T"/>, without copying; T must match <see cref="ElementType"/>'s size.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (Marshal.SizeOf<T>() != ElementType.SizeInBytes())
            throw new InvalidOperationException($"Cannot view {ElementType.DisplayName()} elements as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(Data.AsSpan());
    }

    public static NpyArray FromSpan<T>(TensorElementType elementType, long[] shape, ReadOnlySpan<T> values) where T : unmanaged =>
        new(elementType, shape, MemoryMarshal.AsBytes(values).ToArray());
}
