using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxTransfer.Runtime;

/// <summary>
/// A float tensor in host memory that one batch reuses for every run: its span for the decoders that fill it and the
/// readers that read it, the ONNX Runtime value over all of it (made once), and short-lived values over its first rows.
/// Made by <see cref="ModelSession.CreateHostTensor"/>: beside a CUDA provider, when asked, it lives in page-locked
/// (pinned) memory from ONNX Runtime's CUDA_PINNED allocator, so host↔device copies are DMA transfers the driver does not
/// stage through a bounce buffer; otherwise it is a managed array, as every CPU run has always used.
/// </summary>
/// <remarks>Dispose it before its session: pinned memory goes back to the session's allocator.</remarks>
public sealed unsafe class HostTensor : IDisposable
{
    private readonly float[]? _managed;   // CPU memory the GC owns (pinned by the full value while it lives)
    private readonly float* _native;      // pinned memory the full value owns (allocated by ONNX Runtime)
    private readonly OrtMemoryInfo? _nativeInfo;
    private bool _disposed;

    private HostTensor(long[] shape, int length, float[]? managed, OrtValue full, float* native, OrtMemoryInfo? nativeInfo)
    {
        Shape = shape;
        Length = length;
        _managed = managed;
        Full = full;
        _native = native;
        _nativeInfo = nativeInfo;
    }

    /// <summary>The tensor's shape, its first dimension the batch capacity.</summary>
    public long[] Shape { get; }

    /// <summary>Floats in the tensor.</summary>
    public int Length { get; }

    /// <summary>True when the memory is page-locked for the GPU (CUDA_PINNED), false for a managed array.</summary>
    public bool IsPinned => _native is not null;

    /// <summary>The value over the whole tensor, for a run (or a binding) over every row.</summary>
    public OrtValue Full { get; }

    /// <summary>The tensor's floats.</summary>
    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _managed is not null ? _managed : new Span<float>(_native, Length);
        }
    }

    /// <summary>
    /// A value over the first <paramref name="rows"/> rows (the same memory, no copy), for a run over a short batch;
    /// the caller disposes it.
    /// </summary>
    public OrtValue Rows(int rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, (int)Shape[0]);
        var shape = (long[])Shape.Clone();
        shape[0] = rows;
        var floats = checked((int)(Length / Shape[0] * rows));
        return _managed is not null
            ? TensorValues.Over(new Memory<float>(_managed, 0, floats), shape)
            : OrtValue.CreateTensorValueWithData(_nativeInfo!, TensorElementType.Float, shape, (IntPtr)_native, (long)floats * sizeof(float));
    }

    /// <summary>
    /// The tensor of a batch that is bound to <paramref name="session"/> (pinned where the session runs on CUDA, see
    /// <see cref="ModelSession.CreateHostTensor"/>), or of one that is not (null: a managed tensor).
    /// </summary>
    public static HostTensor For(ModelSession? session, long[] shape) => session?.CreateHostTensor(shape, pinned: true) ?? Managed(shape);

    /// <summary>A managed tensor of <paramref name="shape"/> (CPU runs, and batches that are not bound).</summary>
    public static HostTensor Managed(long[] shape)
    {
        var array = new float[ElementCount(shape)];
        return new HostTensor(shape, array.Length, array, TensorValues.Over<float>(array, shape), null, null);
    }

    /// <summary>A tensor of <paramref name="shape"/> in memory from <paramref name="allocator"/> (host-visible: CUDA_PINNED).</summary>
    internal static HostTensor Allocated(long[] shape, OrtAllocator allocator)
    {
        var length = ElementCount(shape);
        var full = OrtValue.CreateAllocatedTensorValue(allocator, TensorElementType.Float, shape);
        try
        {
            var span = full.GetTensorMutableDataAsSpan<float>();
            var native = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
            span.Clear(); // allocators hand out whatever the memory last held; a padding row must not read garbage NaNs
            return new HostTensor(shape, length, null, full, native, allocator.Info);
        }
        catch
        {
            full.Dispose();
            throw;
        }
    }

    private static int ElementCount(long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape[0] < 1) throw new ArgumentException("A host tensor needs a batch dimension of at least 1.", nameof(shape));
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 1) throw new ArgumentException($"Every dimension of a host tensor must be known and positive, got {TensorValues.Format(shape)}.", nameof(shape));
            count = checked(count * d);
        }
        return checked((int)count);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Full.Dispose();
    }
}
