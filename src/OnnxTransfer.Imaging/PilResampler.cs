using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging;

/// <summary>
/// PIL's two-pass resampling of 8-bit RGB (libImaging/Resample.c, the algorithm re-implemented): horizontal pass into
/// 8-bit rows (rounded and clamped), then the vertical pass, in 22-bit fixed point. Only the output window is computed:
/// each output pixel depends on its own taps alone, so cropping before or after gives the same bytes.
/// </summary>
internal static class PilResampler
{
    private const int Half = 1 << (ResampleKernel.PrecisionBits - 1);

    /// <summary>Per-thread buffers, grown as needed and reused for every image on that thread.</summary>
    private sealed class Scratch
    {
        internal byte[] Rows = [];
        internal int[] Accumulator = [];
    }

    [ThreadStatic] private static Scratch? _scratch;

    /// <summary>
    /// Writes the <paramref name="outWidth"/> × <paramref name="outHeight"/> window of the image resampled per
    /// <paramref name="plan"/> into <paramref name="output"/> (interleaved RGB), padding with <paramref name="pad"/>.
    /// </summary>
    internal static void Resample(RgbImageView source, ResizePlan plan, int outWidth, int outHeight, ResampleFilter filter,
        RgbColor pad, Span<byte> output)
    {
        var scratch = _scratch ??= new Scratch();
        // The window in resized coordinates, clipped to the resized image.
        var columnFirst = Math.Max(plan.Left, 0);
        var columnEnd = Math.Min(plan.Left + outWidth, plan.ResizedWidth);
        var rowFirst = Math.Max(plan.Top, 0);
        var rowEnd = Math.Min(plan.Top + outHeight, plan.ResizedHeight);
        if (columnFirst >= columnEnd || rowFirst >= rowEnd)
        {
            Fill(output, pad);
            return;
        }
        var columns = columnEnd - columnFirst;
        var rowBytes = columns * 3;

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

        // Horizontal pass (skipped, like PIL, when the width does not change).
        ReadOnlySpan<byte> rows;
        int rowStride;
        if (plan.ResizedWidth != source.Width)
        {
            var horizontal = ResampleKernel.For(source.Width, plan.ResizedWidth, filter, columnFirst, columns);
            var needed = (sourceEnd - sourceFirst) * rowBytes;
            if (scratch.Rows.Length < needed) scratch.Rows = new byte[needed];
            for (var y = sourceFirst; y < sourceEnd; y++)
                ResampleRow(source.Pixels.Slice(y * source.Width * 3, source.Width * 3), horizontal, columnFirst, columns,
                    scratch.Rows.AsSpan((y - sourceFirst) * rowBytes, rowBytes));
            rows = scratch.Rows.AsSpan(0, needed);
            rowStride = rowBytes;
        }
        else
        {
            rows = source.Pixels[(sourceFirst * source.Width * 3 + columnFirst * 3)..];
            rowStride = source.Width * 3;
        }

        // Vertical pass, straight into the output window; padding around it.
        var outRowBytes = outWidth * 3;
        var leftPad = columnFirst - plan.Left;
        if (scratch.Accumulator.Length < rowBytes) scratch.Accumulator = new int[rowBytes];
        var accumulator = scratch.Accumulator.AsSpan(0, rowBytes);
        for (var outY = 0; outY < outHeight; outY++)
        {
            var outRow = output.Slice(outY * outRowBytes, outRowBytes);
            var y = outY + plan.Top;
            if (y < rowFirst || y >= rowEnd)
            {
                Fill(outRow, pad);
                continue;
            }
            Fill(outRow[..(leftPad * 3)], pad);
            Fill(outRow[((leftPad + columns) * 3)..], pad);
            var target = outRow.Slice(leftPad * 3, rowBytes);
            if (vertical is null)
                rows.Slice((y - sourceFirst) * rowStride, rowBytes).CopyTo(target);
            else
                ResampleColumn(rows, rowStride, rowBytes, vertical, y, sourceFirst, accumulator, target);
        }
    }

    /// <summary>One row of the horizontal pass: output columns [first, first + count) of the resized row.</summary>
    private static void ResampleRow(ReadOnlySpan<byte> sourceRow, ResampleKernel kernel, int first, int count, Span<byte> destination)
    {
        ref var src = ref MemoryMarshal.GetReference(sourceRow);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var weights = kernel.Weights;
        var taps = kernel.Taps;
        for (var i = 0; i < count; i++)
        {
            var x = first + i - kernel.FirstOutput;
            var start = kernel.Start[x];
            var n = kernel.Count[x];
            ref var w = ref weights[x * taps];
            ref var p = ref Unsafe.Add(ref src, start * 3);
            int r = Half, g = Half, b = Half;
            for (var t = 0; t < n; t++)
            {
                var k = Unsafe.Add(ref w, t);
                r += Unsafe.Add(ref p, 0) * k;
                g += Unsafe.Add(ref p, 1) * k;
                b += Unsafe.Add(ref p, 2) * k;
                p = ref Unsafe.Add(ref p, 3);
            }
            Unsafe.Add(ref dst, i * 3) = Clip8(r);
            Unsafe.Add(ref dst, i * 3 + 1) = Clip8(g);
            Unsafe.Add(ref dst, i * 3 + 2) = Clip8(b);
        }
    }

    /// <summary>One output row of the vertical pass: a weighted sum of whole rows, vectorised across the row.</summary>
    private static void ResampleColumn(ReadOnlySpan<byte> rows, int rowStride, int rowBytes, ResampleKernel kernel, int y,
        int sourceFirst, Span<int> accumulator, Span<byte> destination)
    {
        accumulator.Fill(Half);
        y -= kernel.FirstOutput;
        var start = kernel.Start[y] - sourceFirst;
        var n = kernel.Count[y];
        var weights = kernel.Weights.AsSpan(y * kernel.Taps, n);
        for (var t = 0; t < n; t++)
            MultiplyAdd(rows.Slice((start + t) * rowStride, rowBytes), weights[t], accumulator);

        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var zero = Vector<int>.Zero;
            var max = new Vector<int>(255);
            ref var acc = ref MemoryMarshal.GetReference(accumulator);
            ref var dst = ref MemoryMarshal.GetReference(destination);
            var step = Vector<byte>.Count;
            var quarter = Vector<int>.Count;
            for (; i <= rowBytes - step; i += step)
            {
                var a = Clamp(Vector.LoadUnsafe(ref acc, (nuint)i), zero, max);
                var b = Clamp(Vector.LoadUnsafe(ref acc, (nuint)(i + quarter)), zero, max);
                var c = Clamp(Vector.LoadUnsafe(ref acc, (nuint)(i + 2 * quarter)), zero, max);
                var d = Clamp(Vector.LoadUnsafe(ref acc, (nuint)(i + 3 * quarter)), zero, max);
                var low = Vector.Narrow(Vector.AsVectorUInt32(a), Vector.AsVectorUInt32(b));
                var high = Vector.Narrow(Vector.AsVectorUInt32(c), Vector.AsVectorUInt32(d));
                Vector.Narrow(low, high).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < rowBytes; i++) destination[i] = Clip8(accumulator[i]);
    }

    private static Vector<int> Clamp(Vector<int> sum, Vector<int> zero, Vector<int> max) =>
        Vector.Min(Vector.Max(Vector.ShiftRightArithmetic(sum, ResampleKernel.PrecisionBits), zero), max);

    /// <summary>accumulator[i] += row[i] × weight, widening bytes to int lanes.</summary>
    private static void MultiplyAdd(ReadOnlySpan<byte> row, int weight, Span<int> accumulator)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var k = new Vector<int>(weight);
            ref var src = ref MemoryMarshal.GetReference(row);
            ref var acc = ref MemoryMarshal.GetReference(accumulator);
            var step = Vector<byte>.Count;
            var quarter = Vector<int>.Count;
            for (; i <= row.Length - step; i += step)
            {
                Vector.Widen(Vector.LoadUnsafe(ref src, (nuint)i), out var low, out var high);
                Vector.Widen(low, out var a, out var b);
                Vector.Widen(high, out var c, out var d);
                (Vector.LoadUnsafe(ref acc, (nuint)i) + Vector.AsVectorInt32(a) * k).StoreUnsafe(ref acc, (nuint)i);
                (Vector.LoadUnsafe(ref acc, (nuint)(i + quarter)) + Vector.AsVectorInt32(b) * k).StoreUnsafe(ref acc, (nuint)(i + quarter));
                (Vector.LoadUnsafe(ref acc, (nuint)(i + 2 * quarter)) + Vector.AsVectorInt32(c) * k).StoreUnsafe(ref acc, (nuint)(i + 2 * quarter));
                (Vector.LoadUnsafe(ref acc, (nuint)(i + 3 * quarter)) + Vector.AsVectorInt32(d) * k).StoreUnsafe(ref acc, (nuint)(i + 3 * quarter));
            }
        }
        for (; i < row.Length; i++) accumulator[i] += row[i] * weight;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clip8(int sum)
    {
        var v = sum >> ResampleKernel.PrecisionBits;
        return v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)v;
    }

    private static void Fill(Span<byte> rgb, RgbColor colour)
    {
        if (rgb.IsEmpty) return;
        if (colour.R == colour.G && colour.G == colour.B) { rgb.Fill(colour.R); return; }
        for (var i = 0; i + 2 < rgb.Length; i += 3)
        {
            rgb[i] = colour.R;
            rgb[i + 1] = colour.G;
            rgb[i + 2] = colour.B;
        }
    }
}
