namespace OnnxTransfer.Training.Blas;

/// <summary>
/// The matrix multiply every hot path of the trainer runs on: <c>C = alpha·op(A)·op(B) + beta·C</c> over row-major
/// float buffers (the CBLAS <c>sgemm</c> contract). <see cref="OpenBlas"/> calls Debian's OpenBLAS; <see cref="Managed"/>
/// is a blocked, vectorised C# fallback for machines without it. Both compute every output element from the same
/// operands in a fixed order, so results do not depend on how many threads run.
/// </summary>
public abstract class BlasBackend
{
    /// <summary>Environment variable that picks the default backend: <c>auto</c> (default), <c>openblas</c> or <c>managed</c>.</summary>
    public const string EnvironmentVariable = "ONNXTRANSFER_BLAS";

    private static readonly Lazy<BlasBackend?> OpenBlasInstance = new(OpenBlasBackend.TryLoad);
    private static readonly Lazy<BlasBackend> DefaultInstance = new(() => Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>Short name: <c>openblas</c> or <c>managed</c>.</summary>
    public abstract string Name { get; }

    /// <summary>One line for diagnostics (the CLI's <c>doctor</c>): library, version, kernel, threads.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Threads one multiply may use. For OpenBLAS this is the process-wide <c>openblas_set_num_threads</c> setting; a
    /// runner that trains several models in parallel lowers it so that workers × threads stays within the cores.
    /// </summary>
    public abstract int ThreadCount { get; set; }

    /// <summary>The managed fallback; always available.</summary>
    public static BlasBackend Managed { get; } = new ManagedBlasBackend();

    /// <summary>OpenBLAS when <c>libopenblas</c> can be loaded, else null.</summary>
    public static BlasBackend? OpenBlas => OpenBlasInstance.Value;

    /// <summary>The backend chosen by <see cref="EnvironmentVariable"/>: OpenBLAS when present unless it says <c>managed</c>.</summary>
    public static BlasBackend Default => DefaultInstance.Value;

    /// <summary>Picks a backend by name (<c>auto</c>, <c>openblas</c>, <c>managed</c>; null or empty means auto).</summary>
    /// <exception cref="ArgumentException">Unknown name, or <c>openblas</c> requested where it cannot be loaded.</exception>
    public static BlasBackend Resolve(string? preference)
    {
        switch (preference?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto":
                return OpenBlas ?? Managed;
            case "managed":
                return Managed;
            case "openblas":
                return OpenBlas ?? throw new ArgumentException(
                    $"OpenBLAS was requested but no libopenblas could be loaded (tried {string.Join(", ", OpenBlasBackend.CandidateNames)}). " +
                    "Install it (Debian: apt-get install libopenblas0-pthread), point " + OpenBlasBackend.PathVariable +
                    " at the library, or use 'managed'.", nameof(preference));
            default:
                throw new ArgumentException(
                    $"Unknown BLAS backend '{preference}'; use 'auto', 'openblas' or 'managed' (e.g. {EnvironmentVariable}=managed).",
                    nameof(preference));
        }
    }

    /// <summary>
    /// <c>C[m×n] = alpha·op(A)[m×k]·op(B)[k×n] + beta·C</c>, all row-major with leading dimensions (row strides)
    /// <paramref name="lda"/>, <paramref name="ldb"/>, <paramref name="ldc"/>. With <c>beta = 0</c>, C is overwritten
    /// (its old contents, even NaN, are ignored).
    /// </summary>
    public void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckOperand("A", a.Length, transposeA ? k : m, transposeA ? m : k, lda);
        CheckOperand("B", b.Length, transposeB ? n : k, transposeB ? k : n, ldb);
        CheckOperand("C", c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        SgemmCore(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Multiply with shapes already checked; m, n ≥ 1, k ≥ 0.</summary>
    protected abstract void SgemmCore(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    public override string ToString() => Description;

    private static void CheckOperand(string name, int length, int rows, int columns, int leadingDimension)
    {
        if (rows < 0 || columns < 0)
            throw new ArgumentOutOfRangeException(name, $"sgemm: {name} has negative shape {rows}×{columns}.");
        if (leadingDimension < Math.Max(1, columns))
            throw new ArgumentOutOfRangeException(name, $"sgemm: leading dimension {leadingDimension} of {name} is less than its {columns} columns.");
        if (rows == 0 || columns == 0) return;
        long needed = (long)(rows - 1) * leadingDimension + columns;
        if (length < needed)
            throw new ArgumentException($"sgemm: {name} holds {length} floats but a {rows}×{columns} operand with row stride {leadingDimension} needs {needed}.", name);
    }
}
