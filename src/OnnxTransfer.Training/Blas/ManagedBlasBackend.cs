using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Training.Blas;

/// <summary>
/// A register-blocked, vectorised sgemm in C#: the fallback where OpenBLAS is absent, and the reference the OpenBLAS
/// path is tested against. Every element is <c>alpha·Σₚ a[i,p]·b[p,j] + beta·c[i,j]</c> with the sum taken in p order
/// by fused multiply-adds, whatever the tile or thread that computes it, so results are identical for any thread count.
/// </summary>
internal sealed class ManagedBlasBackend : BlasBackend
{
    private const int RowsPerTask = 32;
    private int _threadCount = Environment.ProcessorCount;

    public override string Name => "managed";

    public override string Description =>
        $"managed sgemm (C#, Vector<float> × {Vector<float>.Count}, {ThreadCount} thread(s))";

    public override int ThreadCount
    {
        get => Volatile.Read(ref _threadCount);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _threadCount, value);
        }
    }

    protected override unsafe void SgemmCore(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (k == 0)
        {
            ScaleRows(c, m, n, ldc, beta);
            return;
        }

        // The kernel streams rows of op(B); a transposed B is packed once into a k×n row-major panel.
        float[]? packed = null;
        if (transposeB)
        {
            packed = ArrayPool<float>.Shared.Rent(checked(k * n));
            for (int j = 0; j < n; j++)
            {
                var column = b.Slice(j * ldb, k);
                for (int p = 0; p < k; p++) packed[p * n + j] = column[p];
            }
        }
        try
        {
            fixed (float* pa = a)
            fixed (float* pb = transposeB ? packed : b)
            fixed (float* pc = c)
            {
                var job = new Job(pa, transposeA ? 1 : lda, transposeA ? lda : 1, pb, transposeB ? n : ldb, pc, ldc, n, k, alpha, beta);
                int blocks = (m + RowsPerTask - 1) / RowsPerTask;
                int threads = Math.Min(ThreadCount, blocks);
                long work = (long)m * n * k;
                if (threads <= 1 || work < 1 << 18)
                {
                    job.Rows(0, m);
                }
                else
                {
                    Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads },
                        block => job.Rows(block * RowsPerTask, Math.Min(m, (block + 1) * RowsPerTask)));
                }
            }
        }
        finally
        {
            if (packed is not null) ArrayPool<float>.Shared.Return(packed);
        }
    }

    /// <summary>C = beta·C over an m×n block (beta = 0 clears, so stale NaN never survive).</summary>
    internal static void ScaleRows(Span<float> c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f)
                for (int j = 0; j < row.Length; j++) row[j] *= beta;
        }
    }

    /// <summary>The operands as raw pointers: A is addressed as <c>a[i·rowStride + p·colStride]</c> to cover op(A).</summary>
    private readonly unsafe struct Job(float* a, int aRowStride, int aColStride, float* b, int ldb, float* c, int ldc,
        int n, int k, float alpha, float beta)
    {
        public void Rows(int rowStart, int rowEnd)
        {
            int width = Vector<float>.Count;
            int i = rowStart;
            for (; i + 4 <= rowEnd; i += 4)
            {
                int j = 0;
                for (; j + width <= n; j += width) Tile4(i, j);
                for (; j < n; j++)
                    for (int r = 0; r < 4; r++) Scalar(i + r, j);
            }
            for (; i < rowEnd; i++)
            {
                int j = 0;
                for (; j + width <= n; j += width) Tile1(i, j);
                for (; j < n; j++) Scalar(i, j);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Tile4(int i, int j)
        {
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            var acc2 = Vector<float>.Zero;
            var acc3 = Vector<float>.Zero;
            float* a0 = a + (long)i * aRowStride;
            float* a1 = a0 + aRowStride, a2 = a1 + aRowStride, a3 = a2 + aRowStride;
            float* bp = b + j;
            for (int p = 0; p < k; p++)
            {
                var bv = Unsafe.ReadUnaligned<Vector<float>>(bp);
                long offset = (long)p * aColStride;
                acc0 = Vector.FusedMultiplyAdd(new Vector<float>(a0[offset]), bv, acc0);
                acc1 = Vector.FusedMultiplyAdd(new Vector<float>(a1[offset]), bv, acc1);
                acc2 = Vector.FusedMultiplyAdd(new Vector<float>(a2[offset]), bv, acc2);
                acc3 = Vector.FusedMultiplyAdd(new Vector<float>(a3[offset]), bv, acc3);
                bp += ldb;
            }
            Store(i, j, acc0);
            Store(i + 1, j, acc1);
            Store(i + 2, j, acc2);
            Store(i + 3, j, acc3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Tile1(int i, int j)
        {
            var acc = Vector<float>.Zero;
            float* ai = a + (long)i * aRowStride;
            float* bp = b + j;
            for (int p = 0; p < k; p++)
            {
                acc = Vector.FusedMultiplyAdd(new Vector<float>(ai[(long)p * aColStride]), Unsafe.ReadUnaligned<Vector<float>>(bp), acc);
                bp += ldb;
            }
            Store(i, j, acc);
        }

        private void Scalar(int i, int j)
        {
            float acc = 0f;
            float* ai = a + (long)i * aRowStride;
            float* bp = b + j;
            for (int p = 0; p < k; p++)
            {
                acc = MathF.FusedMultiplyAdd(ai[(long)p * aColStride], *bp, acc);
                bp += ldb;
            }
            float* target = c + (long)i * ldc + j;
            *target = beta == 0f ? alpha * acc : MathF.FusedMultiplyAdd(alpha, acc, beta * *target);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Store(int i, int j, Vector<float> acc)
        {
            float* target = c + (long)i * ldc + j;
            var result = beta == 0f
                ? acc * alpha
                : Vector.FusedMultiplyAdd(new Vector<float>(alpha), acc, Unsafe.ReadUnaligned<Vector<float>>(target) * beta);
            Unsafe.WriteUnaligned(target, result);
        }
    }
}
