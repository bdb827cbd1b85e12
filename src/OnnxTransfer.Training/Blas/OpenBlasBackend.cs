using System.Runtime.InteropServices;

namespace OnnxTransfer.Training.Blas;

/// <summary>
/// <c>cblas_sgemm</c> from OpenBLAS, bound through function pointers resolved once from the loaded library, so a
/// machine without OpenBLAS simply gets no instance (and the managed fallback) instead of a failure at first call.
/// </summary>
internal sealed unsafe class OpenBlasBackend : BlasBackend
{
    /// <summary>Environment variable with an explicit path to the OpenBLAS library (tried before the usual names).</summary>
    public const string PathVariable = "ONNXTRANSFER_OPENBLAS";

    internal static readonly string[] CandidateNames =
        ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll", "openblas.dll"];

    // CBLAS enumerations (cblas.h).
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private readonly delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged[Cdecl]<int, void> _setThreads;
    private readonly delegate* unmanaged[Cdecl]<int> _getThreads;
    private readonly string _description;

    private OpenBlasBackend(nint library, string libraryName)
    {
        _sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        _setThreads = NativeLibrary.TryGetExport(library, "openblas_set_num_threads", out var set)
            ? (delegate* unmanaged[Cdecl]<int, void>)set : null;
        _getThreads = NativeLibrary.TryGetExport(library, "openblas_get_num_threads", out var get)
            ? (delegate* unmanaged[Cdecl]<int>)get : null;

        var config = ReadString(library, "openblas_get_config");
        var core = ReadString(library, "openblas_get_corename");
        _description = $"OpenBLAS ({libraryName}{(config is null ? "" : ", " + config.Trim())}{(core is null ? "" : ", kernel " + core.Trim())})";
    }

    public override string Name => "openblas";

    public override string Description => $"{_description}, {ThreadCount} thread(s)";

    public override int ThreadCount
    {
        get => _getThreads is null ? 1 : _getThreads();
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            if (_setThreads is not null) _setThreads(value);
        }
    }

    /// <summary>Loads OpenBLAS from <see cref="PathVariable"/> or the usual names; null when none loads or lacks <c>cblas_sgemm</c>.</summary>
    internal static BlasBackend? TryLoad()
    {
        var explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        IEnumerable<string> names = string.IsNullOrEmpty(explicitPath) ? CandidateNames : [explicitPath, .. CandidateNames];
        foreach (var name in names)
        {
            // The library stays loaded for the life of the process: the function pointers point into it.
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _))
                return new OpenBlasBackend(handle, name);
        }
        return null;
    }

    protected override void SgemmCore(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (k == 0)
        {
            // CBLAS leaves C untouched when k is 0 only if beta is 1; make beta = 0 mean "overwrite" here too.
            ManagedBlasBackend.ScaleRows(c, m, n, ldc, beta);
            return;
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            _sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k,
                alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    private static string? ReadString(nint library, string export)
    {
        if (!NativeLibrary.TryGetExport(library, export, out var address)) return null;
        var text = ((delegate* unmanaged[Cdecl]<byte*>)address)();
        return text is null ? null : Marshal.PtrToStringUTF8((nint)text);
    }
}
