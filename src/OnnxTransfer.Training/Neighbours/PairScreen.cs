using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Neighbours;

/// <summary>
/// Screens one tile of pairs on their sketches and hands each pair whose screened value reaches the floor to the
/// <see cref="PairChecker"/>. Two ways, same pairs handed on (the floor allows for any summation order): with AVX-512,
/// a fused kernel that keeps an 8 × 32 block of screened values in registers and compares them there; elsewhere, a BLAS
/// multiply into a scratch tile, then a vector scan of it.
/// </summary>
internal static class PairScreen
{
    /// <summary>References per packed panel (one 512-bit register of floats).</summary>
    private const int PanelRows = 16;

    public static bool FusedAvailable => Avx512F.IsSupported;

    /// <summary>
    /// The reference sketches in panels of 16 rows, each panel coordinate-major (<c>panel[k·16 + lane]</c>), so that the
    /// fused kernel loads one coordinate of 16 references as one vector. Covers the padded rows too.
    /// </summary>
    public static float[] Pack(RowSketches sketches)
    {
        int width = sketches.Width, rows = sketches.Values.Length / width;
        var panels = new float[sketches.Values.Length];
        for (int r = 0; r < rows; r++)
        {
            int panel = r / PanelRows, lane = r % PanelRows;
            for (int k = 0; k < width; k++) panels[(panel * width + k) * PanelRows + lane] = sketches.Values[r * width + k];
        }
        return panels;
    }

    /// <summary>The fused AVX-512 screen of queries [firstQuery, +rowsA) against references [firstReference, +rowsB); returns (pairs handed on, pairs checked in full).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (long Candidates, long Exact) FusedTile(float[] querySketches, int firstQuery, int rowsA, float[] panels,
        int firstReference, int rowsB, int width, float floor, bool diagonal, PairChecker checker)
    {
        long candidates = 0, exact = 0;
        var bar = Vector512.Create(floor);
        ref float queryBase = ref MemoryMarshal.GetArrayDataReference(querySketches);
        ref float panelBase = ref MemoryMarshal.GetArrayDataReference(panels);
        Span<ulong> hits = stackalloc ulong[8];
        for (int j = 0; j < rowsB; j += 32)
        {
            int reference = firstReference + j;
            ref float left = ref Unsafe.Add(ref panelBase, (nint)(reference / PanelRows) * width * PanelRows);
            ref float right = ref Unsafe.Add(ref left, (nint)width * PanelRows);
            // On a diagonal tile only pairs with reference > query count: row groups wholly below this column block are skipped.
            int rowsHere = diagonal ? Math.Min(rowsA, j + 32) : rowsA;
            for (int i = 0; i < rowsHere; i += 8)
            {
                // One base per query row and a native-sized index keep the inner loop free of address arithmetic.
                ref float a0 = ref Unsafe.Add(ref queryBase, (nint)(firstQuery + i) * width);
                ref float a1 = ref Unsafe.Add(ref a0, width);
                ref float a2 = ref Unsafe.Add(ref a1, width);
                ref float a3 = ref Unsafe.Add(ref a2, width);
                ref float a4 = ref Unsafe.Add(ref a3, width);
                ref float a5 = ref Unsafe.Add(ref a4, width);
                ref float a6 = ref Unsafe.Add(ref a5, width);
                ref float a7 = ref Unsafe.Add(ref a6, width);
                ref float l = ref left, r = ref right;
                Vector512<float> c0l = default, c0r = default, c1l = default, c1r = default, c2l = default, c2r = default, c3l = default, c3r = default;
                Vector512<float> c4l = default, c4r = default, c5l = default, c5r = default, c6l = default, c6r = default, c7l = default, c7r = default;
                for (nint k = 0; k < width; k++)
                {
                    var vl = Vector512.LoadUnsafe(ref l);
                    var vr = Vector512.LoadUnsafe(ref r);
                    l = ref Unsafe.Add(ref l, PanelRows);
                    r = ref Unsafe.Add(ref r, PanelRows);
                    var x = Vector512.Create(Unsafe.Add(ref a0, k));
                    c0l = Avx512F.FusedMultiplyAdd(x, vl, c0l); c0r = Avx512F.FusedMultiplyAdd(x, vr, c0r);
                    x = Vector512.Create(Unsafe.Add(ref a1, k));
                    c1l = Avx512F.FusedMultiplyAdd(x, vl, c1l); c1r = Avx512F.FusedMultiplyAdd(x, vr, c1r);
                    x = Vector512.Create(Unsafe.Add(ref a2, k));
                    c2l = Avx512F.FusedMultiplyAdd(x, vl, c2l); c2r = Avx512F.FusedMultiplyAdd(x, vr, c2r);
                    x = Vector512.Create(Unsafe.Add(ref a3, k));
                    c3l = Avx512F.FusedMultiplyAdd(x, vl, c3l); c3r = Avx512F.FusedMultiplyAdd(x, vr, c3r);
                    x = Vector512.Create(Unsafe.Add(ref a4, k));
                    c4l = Avx512F.FusedMultiplyAdd(x, vl, c4l); c4r = Avx512F.FusedMultiplyAdd(x, vr, c4r);
                    x = Vector512.Create(Unsafe.Add(ref a5, k));
                    c5l = Avx512F.FusedMultiplyAdd(x, vl, c5l); c5r = Avx512F.FusedMultiplyAdd(x, vr, c5r);
                    x = Vector512.Create(Unsafe.Add(ref a6, k));
                    c6l = Avx512F.FusedMultiplyAdd(x, vl, c6l); c6r = Avx512F.FusedMultiplyAdd(x, vr, c6r);
                    x = Vector512.Create(Unsafe.Add(ref a7, k));
                    c7l = Avx512F.FusedMultiplyAdd(x, vl, c7l); c7r = Avx512F.FusedMultiplyAdd(x, vr, c7r);
                }
                hits[0] = Mask(c0l, c0r, bar);
                hits[1] = Mask(c1l, c1r, bar);
                hits[2] = Mask(c2l, c2r, bar);
                hits[3] = Mask(c3l, c3r, bar);
                hits[4] = Mask(c4l, c4r, bar);
                hits[5] = Mask(c5l, c5r, bar);
                hits[6] = Mask(c6l, c6r, bar);
                hits[7] = Mask(c7l, c7r, bar);
                if ((hits[0] | hits[1] | hits[2] | hits[3] | hits[4] | hits[5] | hits[6] | hits[7]) == 0) continue;
                for (int row = 0; row < 8; row++)
                    Hand(hits[row], firstQuery + i + row, reference, diagonal, checker, ref candidates, ref exact);
            }
        }
        return (candidates, exact);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(Vector512<float> left, Vector512<float> right, Vector512<float> bar) =>
        Vector512.GreaterThanOrEqual(left, bar).ExtractMostSignificantBits() | Vector512.GreaterThanOrEqual(right, bar).ExtractMostSignificantBits() << 16;

    /// <summary>Hands on the pairs of one query whose bits are set (bit b = reference + b), skipping padding rows and, on a diagonal tile, references ≤ the query.</summary>
    private static void Hand(ulong bits, int query, int firstReference, bool diagonal, PairChecker checker, ref long candidates, ref long exact)
    {
        if (query >= checker.QueryCount) return;
        while (bits != 0)
        {
            int reference = firstReference + BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            if (reference >= checker.ReferenceCount || (diagonal && reference <= query)) continue;
            candidates++;
            if (checker.Check(query, reference)) exact++;
        }
    }

    /// <summary>
    /// The portable screen of the same tile: <c>bounds = S_A·S_Bᵀ</c> by one BLAS multiply into <paramref name="bounds"/>
    /// (rowsA × rowsB), then a vector scan for values at or above the floor.
    /// </summary>
    public static (long Candidates, long Exact) BlasTile(ComputeContext context, RowSketches queries, int firstQuery, int rowsA,
        RowSketches references, int firstReference, int rowsB, float floor, bool diagonal, PairChecker checker, float[] bounds)
    {
        int width = queries.Width;
        context.Blas.Sgemm(false, true, rowsA, rowsB, width, 1f,
            queries.Values.AsSpan(firstQuery * width, rowsA * width), width,
            references.Values.AsSpan(firstReference * width, rowsB * width), width, 0f, bounds, rowsB);
        long candidates = 0, exact = 0;
        for (int i = 0; i < rowsA; i++)
        {
            ref float line = ref bounds[i * rowsB];
            int j = 0;
            for (; j + 16 <= rowsB; j += 16)
                Hand(AtLeast(ref line, j, floor), firstQuery + i, firstReference + j, diagonal, checker, ref candidates, ref exact);
            for (; j < rowsB; j++)
                if (Unsafe.Add(ref line, j) >= floor) Hand(1, firstQuery + i, firstReference + j, diagonal, checker, ref candidates, ref exact);
        }
        return (candidates, exact);
    }

    /// <summary>Bit b set where values[offset + b] ≥ floor, b &lt; 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AtLeast(ref float values, int offset, float floor) =>
        Vector512.IsHardwareAccelerated
            ? Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref values, (nuint)offset), Vector512.Create(floor)).ExtractMostSignificantBits()
            : Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref values, (nuint)offset), Vector256.Create(floor)).ExtractMostSignificantBits()
              | Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref values, (nuint)offset + 8), Vector256.Create(floor)).ExtractMostSignificantBits() << 8;
}
