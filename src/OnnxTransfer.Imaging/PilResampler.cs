using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OnnxTransfer.Imaging;

/// <summary>Receives the resampled image one output row at a time, as three planes of 8-bit values (R, G, B).</summary>
internal interface IResampledRowSink
{
    void Row(int y, ReadOnlySpan<byte> red, ReadOnlySpan<byte> green, ReadOnlySpan<byte> blue);
}

/// <summary>
/// PIL's two-pass resampling of 8-bit RGB (libImaging/Resample.c, the algorithm re-implemented): horizontal pass into
/// 8-bit rows (rounded and clamped), then the vertical pass, in 22-bit fixed point. Only the output window is computed:
/// each output pixel depends on its own taps alone, so cropping before or after gives the same bytes.
/// </summary>
/// <remarks>
/// Vectorised on PIL's own integer arithmetic, so the bytes are PIL's whatever the vector width: the horizontal pass
/// accumulates one pixel's R, G, B (and a discarded fourth lane) per vector, and writes planar rows (one per channel);
/// the vertical pass accumulates 32 columns of a plane (16 without AVX2) in registers across all taps. Each finished
/// output row goes to a sink as three planes in a small row buffer that stays in L1 (padding included), so the caller
/// turns it into floats in the same pass: no whole-image intermediate, and per-thread scratch that is reused for every
/// image.
/// </remarks>
internal static class PilResampler
{
    private const int Half = 1 << (ResampleKernel.PrecisionBits - 1);

    /// <summary>Per-thread buffers, grown as needed and reused for every image on that thread.</summary>
    private sealed class Scratch
    {
        internal byte[] Planes = [];
        internal byte[] OutputRow = [];
    }

    [ThreadStatic] private static Scratch? _scratch;

    /// <summary>
    /// Resamples the <paramref name="outWidth"/> × <paramref name="outHeight"/> window of the image per
    /// <paramref name="plan"/>, padding with <paramref name="pad"/>, and hands every output row to <paramref name="sink"/>.
    /// </summary>
    internal static void Resample<TSink>(RgbImageView source, ResizePlan plan, int outWidth, int outHeight, ResampleFilter filter,
        RgbColor pad, ref TSink sink) where TSink : IResampledRowSink, allows ref struct
    {
        var scratch = _scratch ??= new Scratch();
        if (scratch.OutputRow.Length < 3 * outWidth) scratch.OutputRow = new byte[3 * outWidth];
        var red = scratch.OutputRow.AsSpan(0, outWidth);
        var green = scratch.OutputRow.AsSpan(outWidth, outWidth);
        var blue = scratch.OutputRow.AsSpan(2 * outWidth, outWidth);

        // The window in resized coordinates, clipped to the resized image.
        var columnFirst = Math.Max(plan.Left, 0);
        var columnEnd = Math.Min(plan.Left + outWidth, plan.ResizedWidth);
        var rowFirst = Math.Max(plan.Top, 0);
        var rowEnd = Math.Min(plan.Top + outHeight, plan.ResizedHeight);
        if (columnFirst >= columnEnd || rowFirst >= rowEnd)
        {
            FillPad(red, green, blue, pad);
            for (var y = 0; y < outHeight; y++) sink.Row(y, red, green, blue);
            return;
        }
        var columns = columnEnd - columnFirst;

        // Source rows the vertical pass will read.
        var vertical = plan.ResizedHeight != source.Height
            ? ResampleKernel.For(source.Height, plan.ResizedHeight, filter, rowFirst, rowEnd - rowFirst)
            : null;
        int sourceFirst, sourceEnd;
        if (vertical is null) { sourceFirst = rowFirst; sourceEnd = rowEnd; }
        else
        {
            sourceFirst = vertical.Start[rowFirst - vertical.FirstOutput];
            var last = rowEnd - 1 - vertical.FirstOutput;
            sourceEnd = vertical.Start[last] + vertical.Count[last];
        }

        // Horizontal pass (a plain planar copy, like PIL's skipped pass, when the width does not change): source row r
        // becomes three planar rows of `columns` bytes at (r − sourceFirst) × 3 × columns.
        var needed = (sourceEnd - sourceFirst) * 3 * columns;
        if (scratch.Planes.Length < needed) scratch.Planes = new byte[needed];
        var planes = scratch.Planes.AsSpan(0, needed);
        var horizontal = plan.ResizedWidth != source.Width
            ? ResampleKernel.For(source.Width, plan.ResizedWidth, filter, columnFirst, columns)
            : null;
        for (var y = sourceFirst; y < sourceEnd; y++)
        {
            var sourceRow = source.Pixels.Slice(y * source.Width * 3, source.Width * 3);
            var planar = planes.Slice((y - sourceFirst) * 3 * columns, 3 * columns);
            if (horizontal is null) Deinterleave(sourceRow[(columnFirst * 3)..], columns, planar);
            // The vector path reads 4 bytes per tap: one past the row, which only the image's last row cannot afford.
            else if (Vector128.IsHardwareAccelerated && y < source.Height - 1) ResampleRowVector(sourceRow, horizontal, columnFirst, columns, planar);
            else ResampleRowScalar(sourceRow, horizontal, columnFirst, columns, planar);
        }

        // Vertical pass, row by row into the output row buffer; padding around the window.
        var leftPad = columnFirst - plan.Left;
        FillPad(red, green, blue, pad);
        for (var outY = 0; outY < outHeight; outY++)
        {
            var y = outY + plan.Top;
            if (y < rowFirst || y >= rowEnd)
            {
                FillPad(red, green, blue, pad); // the window's columns get image values again on the next image row
                sink.Row(outY, red, green, blue);
                continue;
            }
            for (var channel = 0; channel < 3; channel++)
            {
                var target = scratch.OutputRow.AsSpan(channel * outWidth + leftPad, columns);
                if (vertical is null)
                    planes.Slice(((y - sourceFirst) * 3 + channel) * columns, columns).CopyTo(target);
                else
                    ResampleColumns(planes, columns, channel, vertical, y, sourceFirst, target);
            }
            sink.Row(outY, red, green, blue);
        }
    }

    /// <summary>Interleaved RGB → three planar rows.</summary>
    private static void Deinterleave(ReadOnlySpan<byte> rgb, int count, Span<byte> planar)
    {
        for (var i = 0; i < count; i++)
        {
            planar[i] = rgb[i * 3];
            planar[count + i] = rgb[i * 3 + 1];
            planar[2 * count + i] = rgb[i * 3 + 2];
        }
    }

    /// <summary>
    /// One row of the horizontal pass, output columns [first, first + count), one pixel per vector: lanes R, G, B and a
    /// fourth that carries the next byte along and is dropped. Reads one byte past the last tap.
    /// </summary>
    private static void ResampleRowVector(ReadOnlySpan<byte> sourceRow, ResampleKernel kernel, int first, int count, Span<byte> planar)
    {
        ref var src = ref MemoryMarshal.GetReference(sourceRow);
        ref var dst = ref MemoryMarshal.GetReference(planar);
        ref var weights = ref MemoryMarshal.GetArrayDataReference(kernel.Weights);
        var taps = kernel.Taps;
        var half = Vector128.Create(Half);
        var zero = Vector128<int>.Zero;
        var max = Vector128.Create(255);
        for (var i = 0; i < count; i++)
        {
            var x = first + i - kernel.FirstOutput;
            var n = kernel.Count[x];
            ref var w = ref Unsafe.Add(ref weights, x * taps);
            ref var p = ref Unsafe.Add(ref src, kernel.Start[x] * 3);
            var sum = half;
            for (var t = 0; t < n; t++)
            {
                sum += BytesToInts(Unsafe.ReadUnaligned<uint>(ref p)) * Unsafe.Add(ref w, t);
                p = ref Unsafe.Add(ref p, 3);
            }
            var value = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(sum, ResampleKernel.PrecisionBits), zero), max);
            Unsafe.Add(ref dst, i) = (byte)value.GetElement(0);
            Unsafe.Add(ref dst, count + i) = (byte)value.GetElement(1);
            Unsafe.Add(ref dst, 2 * count + i) = (byte)value.GetElement(2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> BytesToInts(uint fourBytes)
    {
        var bytes = Vector128.CreateScalarUnsafe(fourBytes).AsByte();
        return Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32();
    }

    /// <summary>The horizontal pass without vectors (and for the image's last row): PIL's loop as written.</summary>
    private static void ResampleRowScalar(ReadOnlySpan<byte> sourceRow, ResampleKernel kernel, int first, int count, Span<byte> planar)
    {
        ref var src = ref MemoryMarshal.GetReference(sourceRow);
        var weights = kernel.Weights;
        var taps = kernel.Taps;
        for (var i = 0; i < count; i++)
        {
            var x = first + i - kernel.FirstOutput;
            var n = kernel.Count[x];
            ref var w = ref weights[x * taps];
            ref var p = ref Unsafe.Add(ref src, kernel.Start[x] * 3);
            int r = Half, g = Half, b = Half;
            for (var t = 0; t < n; t++)
            {
                var k = Unsafe.Add(ref w, t);
                r += Unsafe.Add(ref p, 0) * k;
                g += Unsafe.Add(ref p, 1) * k;
                b += Unsafe.Add(ref p, 2) * k;
                p = ref Unsafe.Add(ref p, 3);
            }
            planar[i] = Clip8(r);
            planar[count + i] = Clip8(g);
            planar[2 * count + i] = Clip8(b);
        }
    }

    /// <summary>
    /// One output row of one channel of the vertical pass: a weighted sum of planar rows, as wide as the machine allows
    /// (32 columns per step with AVX2, 16 with SSE or NEON: a NativeAOT build for the baseline x64 instruction set, or
    /// arm64), then PIL's scalar loop for the rest. All three give the same bytes: the same integer arithmetic.
    /// </summary>
    private static void ResampleColumns(ReadOnlySpan<byte> planes, int columns, int channel, ResampleKernel kernel, int y,
        int sourceFirst, Span<byte> destination)
    {
        y -= kernel.FirstOutput;
        var start = kernel.Start[y] - sourceFirst;
        var rowStride = 3 * columns;
        var taps = planes[(start * rowStride + channel * columns)..];
        var weights = kernel.Weights.AsSpan(y * kernel.Taps, kernel.Count[y]);
        var row = destination[..columns];
        var x = 0;
        if (Vector256.IsHardwareAccelerated) x = ColumnsVector256(taps, rowStride, weights, row, x);
        if (Vector128.IsHardwareAccelerated) x = ColumnsVector128(taps, rowStride, weights, row, x);
        ColumnsScalar(taps, rowStride, weights, row, x);
    }

    /// <summary>
    /// Columns [<paramref name="from"/>, …) of the vertical pass, 32 at a time with four accumulators in registers across
    /// every tap; returns the first column left undone. <paramref name="taps"/> starts at the first tap row's first column;
    /// tap t of column x is at t × <paramref name="rowStride"/> + x.
    /// </summary>
    internal static int ColumnsVector256(ReadOnlySpan<byte> taps, int rowStride, ReadOnlySpan<int> weights, Span<byte> destination, int from)
    {
        ref var first = ref MemoryMarshal.GetReference(taps);
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var half = Vector256.Create(Half);
        var zero = Vector256<int>.Zero;
        var max = Vector256.Create(255);
        var x = from;
        for (; x <= destination.Length - 32; x += 32)
        {
            Vector256<int> a = half, b = half, c = half, d = half;
            ref var p = ref Unsafe.Add(ref first, x);
            for (var t = 0; t < weights.Length; t++)
            {
                var k = Vector256.Create(Unsafe.Add(ref w, t));
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref p));
                var (p0, p1) = Vector256.Widen(low);
                var (p2, p3) = Vector256.Widen(high);
                a += p0.AsInt32() * k;
                b += p1.AsInt32() * k;
                c += p2.AsInt32() * k;
                d += p3.AsInt32() * k;
                p = ref Unsafe.Add(ref p, rowStride);
            }
            a = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(a, ResampleKernel.PrecisionBits), zero), max);
            b = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(b, ResampleKernel.PrecisionBits), zero), max);
            c = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(c, ResampleKernel.PrecisionBits), zero), max);
            d = Vector256.Min(Vector256.Max(Vector256.ShiftRightArithmetic(d, ResampleKernel.PrecisionBits), zero), max);
            // Values are 0–255 already, so narrowing (which truncates) keeps them exactly.
            var bytes = Vector256.Narrow(Vector256.Narrow(a.AsUInt32(), b.AsUInt32()), Vector256.Narrow(c.AsUInt32(), d.AsUInt32()));
            bytes.StoreUnsafe(ref dst, (nuint)x);
        }
        return x;
    }

    /// <summary><see cref="ColumnsVector256"/> 16 columns at a time, in 128-bit vectors.</summary>
    internal static int ColumnsVector128(ReadOnlySpan<byte> taps, int rowStride, ReadOnlySpan<int> weights, Span<byte> destination, int from)
    {
        ref var first = ref MemoryMarshal.GetReference(taps);
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var half = Vector128.Create(Half);
        var zero = Vector128<int>.Zero;
        var max = Vector128.Create(255);
        var x = from;
        for (; x <= destination.Length - 16; x += 16)
        {
            Vector128<int> a = half, b = half, c = half, d = half;
            ref var p = ref Unsafe.Add(ref first, x);
            for (var t = 0; t < weights.Length; t++)
            {
                var k = Vector128.Create(Unsafe.Add(ref w, t));
                var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref p));
                var (p0, p1) = Vector128.Widen(low);
                var (p2, p3) = Vector128.Widen(high);
                a += p0.AsInt32() * k;
                b += p1.AsInt32() * k;
                c += p2.AsInt32() * k;
                d += p3.AsInt32() * k;
                p = ref Unsafe.Add(ref p, rowStride);
            }
            a = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(a, ResampleKernel.PrecisionBits), zero), max);
            b = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(b, ResampleKernel.PrecisionBits), zero), max);
            c = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(c, ResampleKernel.PrecisionBits), zero), max);
            d = Vector128.Min(Vector128.Max(Vector128.ShiftRightArithmetic(d, ResampleKernel.PrecisionBits), zero), max);
            var bytes = Vector128.Narrow(Vector128.Narrow(a.AsUInt32(), b.AsUInt32()), Vector128.Narrow(c.AsUInt32(), d.AsUInt32()));
            bytes.StoreUnsafe(ref dst, (nuint)x);
        }
        return x;
    }

    /// <summary>PIL's loop as written, for columns [<paramref name="from"/>, end).</summary>
    internal static void ColumnsScalar(ReadOnlySpan<byte> taps, int rowStride, ReadOnlySpan<int> weights, Span<byte> destination, int from)
    {
        ref var first = ref MemoryMarshal.GetReference(taps);
        for (var x = from; x < destination.Length; x++)
        {
            var sum = Half;
            ref var p = ref Unsafe.Add(ref first, x);
            for (var t = 0; t < weights.Length; t++)
            {
                sum += p * weights[t];
                p = ref Unsafe.Add(ref p, rowStride);
            }
            destination[x] = Clip8(sum);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clip8(int sum)
    {
        var v = sum >> ResampleKernel.PrecisionBits;
        return v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)v;
    }

    private static void FillPad(Span<byte> red, Span<byte> green, Span<byte> blue, RgbColor pad)
    {
        red.Fill(pad.R);
        green.Fill(pad.G);
        blue.Fill(pad.B);
    }
}
