using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging.Native;

/// <summary>
/// The one place where libvips statuses become exceptions.
/// </summary>
/// <remarks>
/// In libvips 8.x the error buffer is <b>global</b> (one buffer for the process, guarded by libvips' global lock), not
/// per thread. <c>vips_error_buffer_copy</c> reads and clears it atomically, so nothing piles up across images, but when
/// two threads fail at the same moment one may take both messages and the other none. That is why the decoder never
/// decides a reason code from the message alone: it decides from where the failure happened and from the bytes
/// (<see cref="EncodedImageSniffer"/>), and keeps the message for people.
/// </remarks>
internal static class VipsErrors
{
    /// <summary>Takes (and clears) libvips' error buffer.</summary>
    internal static string TakeMessage()
    {
        var copy = LibVips.ErrorBufferCopy();
        if (copy == 0) return "";
        try { return (Marshal.PtrToStringUTF8(copy) ?? "").Trim(); }
        finally { LibVips.GFree(copy); }
    }

    internal static VipsException Failure(string operation) => new(operation, TakeMessage());

    internal static void Check(int status, string operation)
    {
        if (status != 0) throw Failure(operation);
    }

    internal static nint CheckPointer(nint result, string operation) => result != 0 ? result : throw Failure(operation);
}
