using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging.Native;

/// <summary>Owns one reference to a GObject (a <c>VipsImage</c>, usually) and drops it with <c>g_object_unref</c>.</summary>
internal class GObjectHandle : SafeHandle
{
    internal GObjectHandle(nint reference) : base(0, ownsHandle: true) => SetHandle(reference);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LibVips.GObjectUnref(handle);
        return true;
    }
}

/// <summary>Owns one reference to a <c>VipsImage</c>. Pixels are computed lazily, when first asked for.</summary>
internal sealed class VipsImageHandle : GObjectHandle
{
    internal VipsImageHandle(nint reference) : base(reference) { }

    internal int Width => LibVips.ImageGetWidth(handle);
    internal int Height => LibVips.ImageGetHeight(handle);
    internal int Bands => LibVips.ImageGetBands(handle);
    internal VipsBandFormat Format => LibVips.ImageGetFormat(handle);
    internal VipsInterpretation Interpretation => LibVips.ImageGetInterpretation(handle);
    internal bool IsCoded => LibVips.ImageGetCoding(handle) != 0;

    /// <summary>An integer metadata field, or null when the image has none (without touching the error buffer).</summary>
    internal int? GetIntOrNull(string field)
    {
        if (LibVips.ImageGetTypeof(handle, field) == 0) return null;
        return LibVips.ImageGetInt(handle, field, out var value) == 0 ? value : null;
    }

    /// <summary>Wraps pixels copied from managed memory (used to write test images and for round trips).</summary>
    internal static unsafe VipsImageHandle FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int bands, VipsBandFormat format)
    {
        VipsRuntime.EnsureInitialized();
        fixed (byte* data = pixels)
        {
            var image = LibVips.ImageNewFromMemoryCopy(data, (nuint)pixels.Length, width, height, bands, format);
            return new VipsImageHandle(VipsErrors.CheckPointer(image, "vips_image_new_from_memory_copy"));
        }
    }
}

/// <summary>
/// Owns a <c>VipsOperation</c>. On release it drops the operation's references to its outputs first, as libvips'
/// bindings must: an operation and its outputs otherwise keep each other alive.
/// </summary>
internal sealed class VipsOperationHandle : SafeHandle
{
    internal VipsOperationHandle(nint operation) : base(0, ownsHandle: true) => SetHandle(operation);

    public override bool IsInvalid => handle == 0;

    /// <summary><c>vips_cache_operation_buildp</c> may swap the operation for an equal cached one (and unref ours).</summary>
    internal void ReplaceAfterBuild(nint operation) => SetHandle(operation);

    protected override bool ReleaseHandle()
    {
        LibVips.ObjectUnrefOutputs(handle);
        LibVips.GObjectUnref(handle);
        return true;
    }
}
