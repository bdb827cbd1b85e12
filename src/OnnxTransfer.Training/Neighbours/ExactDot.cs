using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// The dot product of two float rows accumulated in double in one fixed order, so that every CPU path (AVX-512, AVX2,
/// plain C#) returns the same bits. Element j is added to lane <c>j mod 32</c> in increasing j, then the 32 lane sums are
/// reduced by one fixed tree. Each float × float product is exact in double (24 + 24 significand bits), so a fused
/// multiply-add rounds exactly like a multiply then an add: the vector paths and the scalar path agree bit for bit. The
/// result differs from the exact real dot product by far less than a float's rounding step, which is why the threshold
/// search reports it (rounded to float) as the cosine.
/// </summary>
internal static class ExactDot
{
    public const int Lanes = 32;

    /// <param name="vectorPaths">false takes the scalar path on any CPU (tests); the result is the same.</param>
    public static double Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> y, bool vectorPaths = true)
    {
        if (x.Length != y.Length) throw new ArgumentException("Rows of different lengths.", nameof(y));
        Span<double> lanes = stackalloc double[Lanes];
        int vectorized = 0;
        if (vectorPaths && Avx512F.IsSupported) vectorized = Avx512Lanes(x, y, lanes);
        else if (vectorPaths && Avx2.IsSupported && Fma.IsSupported) vectorized = Avx2Lanes(x, y, lanes);
        else lanes.Clear();
        for (int j = vectorized; j < x.Length; j++) lanes[j % Lanes] += (double)x[j] * y[j];
        return Reduce(lanes);
    }

    /// <summary>Pairs lane i with lane i + half until one is left: the same tree for every path.</summary>
    private static double Reduce(Span<double> lanes)
    {
        for (int half = Lanes / 2; half >= 1; half /= 2)
            for (int i = 0; i < half; i++) lanes[i] += lanes[i + half];
        return lanes[0];
    }

    /// <summary>Lanes over the leading multiple of 32 elements with four 8-wide double accumulators; returns how many elements it took.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Avx512Lanes(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<double> lanes)
    {
        int blocks = x.Length / Lanes;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            int j = b * Lanes;
            a0 = Avx512F.FusedMultiplyAdd(Widen512(ref px, j), Widen512(ref py, j), a0);
            a1 = Avx512F.FusedMultiplyAdd(Widen512(ref px, j + 8), Widen512(ref py, j + 8), a1);
            a2 = Avx512F.FusedMultiplyAdd(Widen512(ref px, j + 16), Widen512(ref py, j + 16), a2);
            a3 = Avx512F.FusedMultiplyAdd(Widen512(ref px, j + 24), Widen512(ref py, j + 24), a3);
        }
        a0.CopyTo(lanes);
        a1.CopyTo(lanes[8..]);
        a2.CopyTo(lanes[16..]);
        a3.CopyTo(lanes[24..]);
        return blocks * Lanes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Widen512(ref float row, int offset) =>
        Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref row, (nuint)offset));

    /// <summary>As <see cref="Avx512Lanes"/> with eight 4-wide accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Avx2Lanes(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<double> lanes)
    {
        int blocks = x.Length / Lanes;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        Span<Vector256<double>> sums = stackalloc Vector256<double>[Lanes / 4];
        sums.Clear();
        for (int b = 0; b < blocks; b++)
        {
            int j = b * Lanes;
            for (int v = 0; v < sums.Length; v++)
                sums[v] = Fma.MultiplyAdd(Widen256(ref px, j + 4 * v), Widen256(ref py, j + 4 * v), sums[v]);
        }
        for (int v = 0; v < sums.Length; v++) sums[v].CopyTo(lanes[(4 * v)..]);
        return blocks * Lanes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Widen256(ref float row, int offset) =>
        Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref row, (nuint)offset));
}
