using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging.Native;

/// <summary>
/// The TurboJPEG entry points (libjpeg-turbo's C API, <c>libturbojpeg.so.0</c>) this project uses, and nothing else.
/// The same libjpeg-turbo that libvips decodes JPEGs with, called without libvips' pipeline around it (see
/// <see cref="DirectJpegDecoder"/>). Statuses are checked by <see cref="TurboJpegHandle"/> only.
/// </summary>
internal static partial class TurboJpeg
{
    internal const string Library = "libturbojpeg.so.0";

    /// <summary>TJPF_RGB: 3 bytes per pixel, R, G, B — what libvips' JPEG loader gives for YCbCr, RGB and (replicated) grey.</summary>
    internal const int PixelFormatRgb = 0;

    /// <summary>TJCS_* colour spaces of the JPEG; CMYK and YCCK need libvips' ICC conversion.</summary>
    internal enum ColorSpace { Rgb = 0, YCbCr = 1, Gray = 2, Cmyk = 3, Ycck = 4 }

    [LibraryImport(Library, EntryPoint = "tjInitDecompress")]
    internal static partial nint InitDecompress();

    [LibraryImport(Library, EntryPoint = "tjDestroy")]
    internal static partial int Destroy(nint handle);

    [LibraryImport(Library, EntryPoint = "tjDecompressHeader3")]
    internal static unsafe partial int DecompressHeader3(nint handle, byte* jpeg, CULong jpegSize, out int width, out int height,
        out int subsampling, out int colorSpace);

    [LibraryImport(Library, EntryPoint = "tjDecompress2")]
    internal static unsafe partial int Decompress2(nint handle, byte* jpeg, CULong jpegSize, byte* destination, int width, int pitch,
        int height, int pixelFormat, int flags);

    [LibraryImport(Library, EntryPoint = "tjGetErrorStr2")]
    internal static partial nint GetErrorStr2(nint handle);
}

/// <summary>Owns one TurboJPEG decompressor (one per thread: a handle is not thread-safe) and destroys it.</summary>
internal sealed class TurboJpegHandle : SafeHandle
{
    private TurboJpegHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    /// <summary>A new decompressor, or null when TurboJPEG refuses to make one (out of memory).</summary>
    internal static TurboJpegHandle? Create()
    {
        var handle = TurboJpeg.InitDecompress();
        return handle == 0 ? null : new TurboJpegHandle(handle);
    }

    /// <summary>
    /// The one status check: TurboJPEG returns −1 for errors and for warnings alike (a damaged or cut file decodes with
    /// warnings). Either way the caller hands the file to libvips, whose <c>fail_on</c> rules decide; the message is
    /// kept for diagnostics only.
    /// </summary>
    internal bool Succeeded(int status, out string? message)
    {
        message = status == 0 ? null : Marshal.PtrToStringUTF8(TurboJpeg.GetErrorStr2(handle));
        return status == 0;
    }

    protected override bool ReleaseHandle() => TurboJpeg.Destroy(handle) == 0;
}
