using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// Rows stored as int8 with one scale each (<c>x̂ = s_x·q_x</c>, s_x a power of two near <c>max|x_i| / 127</c>), for a cheap second look
/// at a pair before its full cosine: a quarter of the bytes to fetch, and an exact integer dot product (VNNI where the
/// CPU has it). The quantisation error <c>e_x = x − x̂</c> is measured per row, so
/// <c>|x·y − s_x s_y (q_x·q_y)| ≤ ‖x̂‖‖e_y‖ + ‖e_x‖‖ŷ‖ + ‖e_x‖‖e_y‖</c> holds for every pair (<see cref="UpperBound"/>).
/// </summary>
internal sealed class QuantisedRows
{
    private readonly sbyte[] values;
    private readonly int dimension;
    private readonly double[] scales;
    private readonly double[] quantisedNorms;
    private readonly double[] errorNorms;
    private readonly int[] sums;
    private readonly bool vectorPaths;

    /// <param name="vectorPaths">false takes the plain C# path on any CPU (tests); the integer sums are the same.</param>
    public QuantisedRows(float[] rows, int dimension, Action<int, Action<int>> parallelFor, bool vectorPaths = true)
    {
        this.dimension = dimension;
        this.vectorPaths = vectorPaths;
        int count = rows.Length / dimension;
        values = new sbyte[(long)count * dimension];
        scales = new double[count];
        quantisedNorms = new double[count];
        errorNorms = new double[count];
        sums = new int[count];
        const int block = 1024;
        parallelFor((count + block - 1) / block, b =>
        {
            var work = new float[dimension];
            for (int r = b * block; r < Math.Min(count, (b + 1) * block); r++) Quantise(rows.AsSpan(r * dimension, dimension), r, work);
        });
    }

    /// <summary>
    /// q = round(x / s) with s the smallest power of two such that 127·s ≥ max|x_i|. A power of two makes s·q exact, and
    /// x − s·q exact too (the two are within a factor of 2 of each other, Sterbenz), so ‖e‖ is measured on the exact
    /// error. Rows too small for a normal scale (or zero) keep q = 0 and e = x, which the bound handles as well.
    /// </summary>
    private void Quantise(ReadOnlySpan<float> row, int index, Span<float> work)
    {
        var target = values.AsSpan(index * dimension, dimension);
        float largest = TensorPrimitives.MaxMagnitude(row);
        if (!float.IsFinite(largest))
        {
            // NaN or ∞: an infinite error, so its bound never rules anything out and the exact check decides.
            errorNorms[index] = double.PositiveInfinity;
            return;
        }
        if (largest < 1e-30f)
        {
            errorNorms[index] = Math.Sqrt(ExactDot.Compute(row, row, vectorPaths)) * (1 + 1e-12);
            return;
        }
        float scale = MathF.ScaleB(1f, MathF.ILogB(largest) - 6);
        if (127f * scale < largest) scale *= 2;
        TensorPrimitives.Divide(row, scale, work);
        TensorPrimitives.Round(work, work);
        sums[index] = Narrow(work, target, vectorPaths);
        // Σq² is a sum of integers (exact in double), s² a power of two.
        double quantised = ExactDot.Compute(work, work, vectorPaths) * ((double)scale * scale);
        TensorPrimitives.Multiply(work, scale, work);
        TensorPrimitives.Subtract(row, work, work);
        double error = ExactDot.Compute(work, work, vectorPaths);
        scales[index] = scale;
        // The double sums are within 1e-12 (relative) of exact; the bound keeps that much room.
        quantisedNorms[index] = Math.Sqrt(quantised) * (1 + 1e-12);
        errorNorms[index] = Math.Sqrt(error) * (1 + 1e-12);
    }

    /// <summary>Integral floats in [−127, 127] to int8; returns their sum.</summary>
    private static int Narrow(ReadOnlySpan<float> integral, Span<sbyte> target, bool vectorPaths)
    {
        int i = 0, sum = 0;
        if (vectorPaths && Avx512F.IsSupported)
        {
            var sums = Vector512<int>.Zero;
            ref float source = ref MemoryMarshal.GetReference(integral);
            for (; i + 16 <= integral.Length; i += 16)
            {
                var q = Avx512F.ConvertToVector512Int32(Vector512.LoadUnsafe(ref source, (nuint)i));
                sums += q;
                Avx512F.ConvertToVector128SByte(q).StoreUnsafe(ref target[i]);
            }
            sum = Vector512.Sum(sums);
        }
        for (; i < integral.Length; i++)
        {
            int q = (int)integral[i];
            target[i] = (sbyte)q;
            sum += q;
        }
        return sum;
    }

    /// <summary>
    /// An upper bound on the dot product of row <paramref name="a"/> of this set and row <paramref name="b"/> of
    /// <paramref name="other"/>, and also on the double sum <see cref="ExactDot"/> gives for it: that sum's error (under
    /// 1e-9·‖x‖‖y‖ for rows shorter than ten million, ‖x‖ ≤ ‖x̂‖ + ‖e_x‖) is added too.
    /// </summary>
    public double UpperBound(int a, QuantisedRows other, int b)
    {
        long dot = Dot(values.AsSpan(a * dimension, dimension), other.values.AsSpan(b * other.dimension, other.dimension), other.sums[b], vectorPaths);
        // Powers of two times an integer below 2⁵³: exact.
        double estimate = scales[a] * other.scales[b] * dot;
        double error = quantisedNorms[a] * other.errorNorms[b] + errorNorms[a] * other.quantisedNorms[b] + errorNorms[a] * other.errorNorms[b];
        double sumError = 1e-9 * (quantisedNorms[a] + errorNorms[a]) * (other.quantisedNorms[b] + other.errorNorms[b]);
        return estimate + (error + sumError) * (1 + 1e-12);
    }

    /// <summary>Σ x_i y_i over int8 rows, exactly; <paramref name="sumY"/> = Σ y_i (for the unsigned-operand shift).</summary>
    private static long Dot(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> y, int sumY, bool vectorPaths)
    {
        int vectorized = 0;
        long total = 0;
        if (vectorPaths && AvxVnni.IsSupported)
        {
            // vpdpbusd takes unsigned × signed bytes: (x + 128)·y = x·y + 128·Σy, so shift x and subtract 128·Σy after.
            // Four products of at most 255·127 per int32 lane per step cannot overflow for rows shorter than 500,000.
            vectorized = x.Length / 32 * 32;
            total = VnniDot(x[..vectorized], y[..vectorized]);
            // The shift applies to the vectorised part only: its correction is Σy less the tail's.
            int sumHead = sumY;
            for (int i = vectorized; i < y.Length; i++) sumHead -= y[i];
            total -= 128L * sumHead;
        }
        for (int i = vectorized; i < x.Length; i++) total += x[i] * y[i];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long VnniDot(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> y)
    {
        ref byte px = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(x));
        ref sbyte py = ref MemoryMarshal.GetReference(y);
        var shift = Vector256.Create((byte)0x80);
        Vector256<int> a0 = default, a1 = default;
        int i = 0;
        for (; i + 64 <= x.Length; i += 64)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Avx2.Xor(Vector256.LoadUnsafe(ref px, (nuint)i), shift), Vector256.LoadUnsafe(ref py, (nuint)i));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Avx2.Xor(Vector256.LoadUnsafe(ref px, (nuint)i + 32), shift), Vector256.LoadUnsafe(ref py, (nuint)i + 32));
        }
        if (i < x.Length)
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Avx2.Xor(Vector256.LoadUnsafe(ref px, (nuint)i), shift), Vector256.LoadUnsafe(ref py, (nuint)i));
        return Vector256.Sum(Vector256.WidenLower(a0 + a1)) + Vector256.Sum(Vector256.WidenUpper(a0 + a1));
    }
}
