using OnnxTransfer.Training.Blas;

namespace OnnxTransfer.Training.Compute;

/// <summary>
/// Runs the trainer's matrix work on several threads without making results depend on how many: work is cut into
/// blocks whose boundaries depend only on the problem size, each block is one single-threaded BLAS call, and partial
/// sums are reduced in block order. (OpenBLAS's own threading changes its K-blocking with the thread count, so its
/// results would change with it; we keep OpenBLAS at one thread per call and parallelise over blocks here.)
/// </summary>
internal sealed class ComputeContext
{
    public ComputeContext(BlasBackend blas, int degreeOfParallelism)
    {
        Blas = blas;
        DegreeOfParallelism = degreeOfParallelism;
        // Process-wide for OpenBLAS; one thread per call is what makes block results independent of the worker count.
        if (blas.ThreadCount != 1) blas.ThreadCount = 1;
    }

    public BlasBackend Blas { get; }

    public int DegreeOfParallelism { get; }

    /// <summary>These settings as options, for the public calls a fit makes inside a sweep (evaluation, logits).</summary>
    public ComputeOptions Options => new() { Blas = Blas, DegreeOfParallelism = DegreeOfParallelism };

    /// <summary>The same backend with fewer workers (for a fit that runs beside others in a sweep).</summary>
    public ComputeContext WithParallelism(int degreeOfParallelism) =>
        degreeOfParallelism == DegreeOfParallelism ? this : new ComputeContext(Blas, Math.Max(1, degreeOfParallelism));

    /// <summary>Runs <paramref name="body"/>(block) for blocks 0..count-1 on up to <see cref="DegreeOfParallelism"/> threads.</summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || DegreeOfParallelism == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = DegreeOfParallelism }, body);
    }

    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c> with the m rows of C cut into fixed blocks of <paramref name="blockRows"/>,
    /// each computed by one single-threaded call. Arrays and offsets (not spans) so that blocks can run on workers.
    /// </summary>
    public void SgemmByRows(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc,
        int blockRows)
    {
        int blocks = (m + blockRows - 1) / blockRows;
        if (blocks <= 1)
        {
            Blas.Sgemm(transposeA, transposeB, m, n, k, alpha, a.AsSpan(aOffset), lda, b.AsSpan(bOffset), ldb, beta, c.AsSpan(cOffset), ldc);
            return;
        }
        For(blocks, block =>
        {
            int start = block * blockRows, rows = Math.Min(blockRows, m - start);
            // Row i of op(A) starts at i·lda when A is not transposed, at column i when it is.
            int aStart = aOffset + (transposeA ? start : start * lda);
            Blas.Sgemm(transposeA, transposeB, rows, n, k, alpha, a.AsSpan(aStart), lda, b.AsSpan(bOffset), ldb,
                beta, c.AsSpan(cOffset + start * ldc), ldc);
        });
    }

    /// <summary>
    /// As <see cref="SgemmByRows"/> but cutting the n columns of C into fixed blocks: better when op(B) is the large
    /// operand (a layer's weights), because each call then reads only its own slice of it.
    /// </summary>
    public void SgemmByColumns(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc,
        int blockColumns)
    {
        int blocks = (n + blockColumns - 1) / blockColumns;
        if (blocks <= 1)
        {
            Blas.Sgemm(transposeA, transposeB, m, n, k, alpha, a.AsSpan(aOffset), lda, b.AsSpan(bOffset), ldb, beta, c.AsSpan(cOffset), ldc);
            return;
        }
        For(blocks, block =>
        {
            int start = block * blockColumns, columns = Math.Min(blockColumns, n - start);
            // Column j of op(B) is row j of B when B is transposed, column j otherwise.
            int bStart = bOffset + (transposeB ? start * ldb : start);
            Blas.Sgemm(transposeA, transposeB, m, columns, k, alpha, a.AsSpan(aOffset), lda, b.AsSpan(bStart), ldb,
                beta, c.AsSpan(cOffset + start), ldc);
        });
    }
}
