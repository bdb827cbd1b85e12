using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// The one place where an <c>OrtStatus*</c> returned by ONNX Runtime is inspected: null means success; anything else
/// becomes an <see cref="OrtException"/> carrying ORT's error code and message, and the status is released exactly once.
/// </summary>
internal static unsafe class OrtStatus
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(OrtApi api, nint status)
    {
        if (status != 0) Throw(api, status);
    }

    /// <summary>Converts a non-null status to an exception (and releases it) without throwing, for callers that decide.</summary>
    public static OrtException ToException(OrtApi api, nint status)
    {
        try
        {
            var code = (OrtErrorCode)api.GetErrorCode(status);
            var message = Marshal.PtrToStringUTF8((nint)api.GetErrorMessage(status)) ?? "(no message)";
            return new OrtException(code, message);
        }
        finally
        {
            api.ReleaseStatus(status);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(OrtApi api, nint status) => throw ToException(api, status);
}
