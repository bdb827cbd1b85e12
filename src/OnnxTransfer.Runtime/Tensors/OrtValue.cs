using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OnnxTransfer.Runtime.Native;

namespace OnnxTransfer.Runtime;

/// <summary>
/// An ONNX Runtime value (<c>OrtValue</c>), in practice a dense CPU tensor. Made over caller memory it copies nothing:
/// managed memory stays pinned while the value lives, native memory must be kept alive by the caller. Values that ORT
/// returns are read in place through <see cref="GetTensorData{T}"/>, valid until the value is disposed.
/// </summary>
/// <remarks>
/// A value may be read by many concurrent runs (as an input); writing its memory while a run reads it is the caller's
/// race. Disposing it while a run uses it is safe: the native value is released when the run lets go.
/// </remarks>
public sealed unsafe class OrtValue : IDisposable
{
    private readonly OrtValueHandle _handle;
    private readonly long[] _shape;
    private readonly void* _data;

    private OrtValue(OrtValueHandle handle, OnnxValueType valueType, TensorElementType elementType, long[] shape, long elementCount, void* data)
    {
        _handle = handle;
        ValueType = valueType;
        ElementType = elementType;
        _shape = shape;
        ElementCount = elementCount;
        _data = data;
    }

    public OnnxValueType ValueType { get; }

    public bool IsTensor => ValueType == OnnxValueType.Tensor;

    public TensorElementType ElementType { get; }

    /// <summary>The tensor's concrete shape (empty for a scalar or a non-tensor).</summary>
    public ReadOnlySpan<long> Shape => _shape;

    public long ElementCount { get; }

    public bool IsDisposed => _handle.IsClosed;

    internal OrtValueHandle Handle => _handle;

    /// <summary>A tensor over <paramref name="data"/> without copying; the element type follows T (float, double, long,
    /// int, short, sbyte, ulong, uint, ushort, byte, bool, Half). The memory stays pinned until the value is disposed.</summary>
    public static OrtValue CreateTensor<T>(Memory<T> data, ReadOnlySpan<long> shape) where T : unmanaged =>
        CreateTensor(ElementTypeFor<T>(), data, shape);

    /// <summary>A tensor over an array without copying.</summary>
    public static OrtValue CreateTensor<T>(T[] data, ReadOnlySpan<long> shape) where T : unmanaged =>
        CreateTensor(new Memory<T>(data), shape);

    /// <summary>
    /// A tensor over <paramref name="data"/> holding elements of <paramref name="elementType"/>, for types .NET lacks:
    /// e.g. float16 or bfloat16 bits in a <c>ushort</c> buffer. T must be the same size as the element type.
    /// </summary>
    public static OrtValue CreateTensor<T>(TensorElementType elementType, Memory<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        if (elementType.SizeInBytes() != sizeof(T))
            throw new ArgumentException($"{typeof(T).Name} elements ({sizeof(T)} bytes) cannot hold {elementType.DisplayName()} ({elementType.SizeInBytes()} bytes).", nameof(data));
        var count = CheckedElementCount(shape);
        if (count != data.Length)
            throw new ArgumentException($"Shape {TensorShape.Format(shape)} holds {count} elements but the buffer has {data.Length}; slice the buffer to the tensor's size.", nameof(data));
        var pin = data.Pin();
        try
        {
            return Create(elementType, pin.Pointer, count * sizeof(T), shape, count, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A tensor over native memory (e.g. from <c>NativeMemory.AlignedAlloc</c> or another library) without copying. The
    /// caller keeps <paramref name="byteLength"/> bytes at <paramref name="data"/> alive and unmoved until this value is disposed.
    /// </summary>
    public static OrtValue CreateTensor(TensorElementType elementType, nint data, long byteLength, ReadOnlySpan<long> shape)
    {
        var size = elementType.SizeInBytes();
        if (size == 0) throw new NotSupportedException($"Tensors of {elementType.DisplayName()} cannot be made over raw memory.");
        if (data == 0) throw new ArgumentNullException(nameof(data), "The native buffer pointer is null.");
        var count = CheckedElementCount(shape);
        if (count * size != byteLength)
            throw new ArgumentException($"Shape {TensorShape.Format(shape)} of {elementType.DisplayName()} needs {count * size} bytes, the buffer has {byteLength}.", nameof(byteLength));
        return Create(elementType, (void*)data, byteLength, shape, count, default);
    }

    /// <summary>A tensor whose memory ORT allocates (zero-filled is not guaranteed), e.g. as a reusable output buffer.</summary>
    public static OrtValue AllocateTensor(TensorElementType elementType, ReadOnlySpan<long> shape)
    {
        if (elementType.SizeInBytes() == 0) throw new NotSupportedException($"Tensors of {elementType.DisplayName()} are not supported.");
        var count = CheckedElementCount(shape);
        var api = OrtLibrary.Shared.Api;
        nint value;
        fixed (long* dims = shape)
            OrtStatus.Check(api, api.CreateTensorAsOrtValue(OrtCpu.DefaultAllocator, dims, (nuint)shape.Length, (int)elementType, &value));
        var handle = new OrtValueHandle(value);
        void* data;
        OrtStatus.Check(api, api.GetTensorMutableData(value, &data));
        return new OrtValue(handle, OnnxValueType.Tensor, elementType, shape.ToArray(), count, data);
    }

    /// <summary>A tensor whose memory ORT allocates, with the element type of T.</summary>
    public static OrtValue AllocateTensor<T>(ReadOnlySpan<long> shape) where T : unmanaged =>
        AllocateTensor(ElementTypeFor<T>(), shape);

    /// <summary>The elements, read in place (no copy). Valid until this value is disposed.</summary>
    public ReadOnlySpan<T> GetTensorData<T>() where T : unmanaged => GetTensorMutableData<T>();

    /// <summary>The elements, writable in place (no copy): fill an input, or read a preallocated output.</summary>
    public Span<T> GetTensorMutableData<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (!IsTensor) throw new InvalidOperationException($"This value is a {ValueType}, not a tensor.");
        if (!TensorElementTypeOf<T>.CanView(ElementType))
            throw new InvalidOperationException($"The tensor holds {ElementType.DisplayName()} elements; they cannot be read as {typeof(T).Name}.");
        if (ElementCount > int.MaxValue)
            throw new InvalidOperationException($"The tensor has {ElementCount} elements, more than one span can address.");
        return new Span<T>(_data, (int)ElementCount);
    }

    /// <summary>
    /// The elements' bytes, in place (no copy), whatever the element type: for code that moves tensors without
    /// interpreting them (e.g. writing a .npy file). Valid until this value is disposed.
    /// </summary>
    public ReadOnlySpan<byte> GetTensorBytes()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (!IsTensor) throw new InvalidOperationException($"This value is a {ValueType}, not a tensor.");
        var size = ElementType.SizeInBytes();
        if (size == 0) throw new InvalidOperationException($"{ElementType.DisplayName()} tensors have no fixed-size bytes to view.");
        var byteCount = ElementCount * size;
        if (byteCount > int.MaxValue)
            throw new InvalidOperationException($"The tensor has {byteCount} bytes, more than one span can address.");
        return new ReadOnlySpan<byte>(_data, (int)byteCount);
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Wraps a value ORT returned (a run output), reading its type and shape once.</summary>
    internal static OrtValue FromNative(OrtApi api, nint value)
    {
        var handle = new OrtValueHandle(value);
        try
        {
            int onnxType;
            OrtStatus.Check(api, api.GetValueType(value, &onnxType));
            if ((OnnxValueType)onnxType != OnnxValueType.Tensor)
                return new OrtValue(handle, (OnnxValueType)onnxType, TensorElementType.Undefined, [], 0, null);

            nint info;
            OrtStatus.Check(api, api.GetTensorTypeAndShape(value, &info));
            using var infoHandle = new OrtTensorTypeAndShapeInfoHandle(info);
            int elementType;
            OrtStatus.Check(api, api.GetTensorElementType(info, &elementType));
            nuint rank;
            OrtStatus.Check(api, api.GetDimensionsCount(info, &rank));
            var shape = new long[(int)rank];
            fixed (long* dims = shape)
                OrtStatus.Check(api, api.GetDimensions(info, dims, rank));
            long count = 1;
            foreach (var d in shape) count *= d;
            void* data = null;
            if ((TensorElementType)elementType != TensorElementType.String)
                OrtStatus.Check(api, api.GetTensorMutableData(value, &data));
            return new OrtValue(handle, OnnxValueType.Tensor, (TensorElementType)elementType, shape, count, data);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static OrtValue Create(TensorElementType elementType, void* data, long byteLength, ReadOnlySpan<long> shape, long count, MemoryHandle pin)
    {
        var api = OrtLibrary.Shared.Api;
        nint value;
        fixed (long* dims = shape)
            OrtStatus.Check(api, api.CreateTensorWithDataAsOrtValue(OrtCpu.MemoryInfo, data, (nuint)byteLength, dims, (nuint)shape.Length, (int)elementType, &value));
        return new OrtValue(new OrtValueHandle(value, pin), OnnxValueType.Tensor, elementType, shape.ToArray(), count, data);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TensorElementType ElementTypeFor<T>() where T : unmanaged
    {
        var type = TensorElementTypeOf<T>.Value;
        if (type == TensorElementType.Undefined)
            throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type; use the overload that names the element type for raw bits.");
        return type;
    }

    private static long CheckedElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape {TensorShape.Format(shape)} has a negative dimension; a tensor needs concrete sizes.", nameof(shape));
            count = checked(count * d);
        }
        return count;
    }
}
