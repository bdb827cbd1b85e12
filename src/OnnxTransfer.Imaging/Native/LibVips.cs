using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging.Native;

/// <summary>
/// The table of libvips / GObject / GLib entry points this project uses, and nothing else.
/// </summary>
/// <remarks>
/// libvips' convenience functions (<c>vips_image_new_from_buffer</c>, <c>vips_colourspace</c>, …) are C varargs
/// functions. Calling them from C# with a trailing NULL happens to work on x86-64 and Linux arm64 but not on Apple arm64,
/// where variadic arguments travel on the stack. So we never call a varargs function: every operation goes through the
/// GObject route that libvips' own language bindings use (<see cref="VipsOperationCall"/>): <c>vips_operation_new</c>,
/// arguments set as <c>GValue</c>s or from an option string, <c>vips_cache_operation_buildp</c>, outputs read back.
/// Statuses are checked by the callers through <see cref="VipsErrors"/> only.
/// </remarks>
internal static partial class LibVips
{
    internal const string VipsLibrary = "libvips.so.42";
    internal const string GObjectLibrary = "libgobject-2.0.so.0";
    internal const string GLibLibrary = "libglib-2.0.so.0";

    // ---- library life cycle and global settings ----
    [LibraryImport(VipsLibrary, EntryPoint = "vips_init", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Init(string argv0);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_version")]
    internal static partial int Version(int flag);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_concurrency_set")]
    internal static partial void ConcurrencySet(int concurrency);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_cache_set_max")]
    internal static partial void CacheSetMax(int max);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_cache_set_max_mem")]
    internal static partial void CacheSetMaxMem(nuint maxBytes);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_cache_set_max_files")]
    internal static partial void CacheSetMaxFiles(int max);

    // ---- errors (a global, mutex-protected buffer in libvips 8.x; see VipsErrors) ----
    [LibraryImport(VipsLibrary, EntryPoint = "vips_error_buffer_copy")]
    internal static partial nint ErrorBufferCopy();

    [LibraryImport(VipsLibrary, EntryPoint = "vips_error_clear")]
    internal static partial void ErrorClear();

    // ---- operations ----
    [LibraryImport(VipsLibrary, EntryPoint = "vips_operation_new", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint OperationNew(string name);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_object_set_from_string", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ObjectSetFromString(nint vipsObject, string options);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_cache_operation_buildp")]
    internal static partial int CacheOperationBuildp(ref nint operation);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_object_unref_outputs")]
    internal static partial void ObjectUnrefOutputs(nint vipsObject);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_foreign_find_load_buffer")]
    internal static unsafe partial nint ForeignFindLoadBuffer(byte* data, nuint size);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_foreign_find_save_buffer", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ForeignFindSaveBuffer(string suffix);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_nickname_find")]
    internal static partial nint NicknameFind(nuint type);

    // ---- blobs (a refcounted area that wraps caller memory; we never let libvips free it) ----
    [LibraryImport(VipsLibrary, EntryPoint = "vips_blob_new")]
    internal static unsafe partial nint BlobNew(nint freeFunction, void* data, nuint length);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_blob_get")]
    internal static unsafe partial void* BlobGet(nint blob, out nuint length);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_area_unref")]
    internal static partial void AreaUnref(nint area);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_blob_get_type")]
    internal static partial nuint BlobGetType();

    // ---- images ----
    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_type")]
    internal static partial nuint ImageGetType();

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_new_from_memory_copy")]
    internal static unsafe partial nint ImageNewFromMemoryCopy(void* data, nuint size, int width, int height, int bands, VipsBandFormat format);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_width")]
    internal static partial int ImageGetWidth(nint image);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_height")]
    internal static partial int ImageGetHeight(nint image);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_bands")]
    internal static partial int ImageGetBands(nint image);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_format")]
    internal static partial VipsBandFormat ImageGetFormat(nint image);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_interpretation")]
    internal static partial VipsInterpretation ImageGetInterpretation(nint image);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_coding")]
    internal static partial int ImageGetCoding(nint image);

    /// <summary>0 when the field is absent; unlike <c>vips_image_get_int</c> it never writes the error buffer.</summary>
    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_typeof", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint ImageGetTypeof(nint image, string name);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_int", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ImageGetInt(nint image, string name, out int value);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_set_int", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void ImageSetInt(nint image, string name, int value);

    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_remove", StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool ImageRemove(nint image, string name);

    /// <summary>Renders the whole image into memory owned by the image and returns its first pixel, or NULL on error.</summary>
    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_get_data")]
    internal static partial nint ImageGetData(nint image);

    /// <summary>Wraps caller memory as an image (libvips never frees it); a target for <see cref="RegionPrepareTo"/>.</summary>
    [LibraryImport(VipsLibrary, EntryPoint = "vips_image_new_from_memory")]
    internal static unsafe partial nint ImageNewFromMemory(void* data, nuint size, int width, int height, int bands, VipsBandFormat format);

    // ---- regions: pixels computed on the calling thread (see ImageDecoder.DecodeInto) ----
    [LibraryImport(VipsLibrary, EntryPoint = "vips_region_new")]
    internal static partial nint RegionNew(nint image);

    /// <summary>Attaches <paramref name="region"/> to the pixels of a memory image (no copy); 0 on success.</summary>
    [LibraryImport(VipsLibrary, EntryPoint = "vips_region_image")]
    internal static unsafe partial int RegionImage(nint region, VipsRect* rect);

    /// <summary>Computes <paramref name="rect"/> of <paramref name="region"/>'s image into <paramref name="destination"/> at (x, y); 0 on success.</summary>
    [LibraryImport(VipsLibrary, EntryPoint = "vips_region_prepare_to")]
    internal static unsafe partial int RegionPrepareTo(nint region, nint destination, VipsRect* rect, int x, int y);

    // ---- GObject / GLib ----
    [LibraryImport(GObjectLibrary, EntryPoint = "g_object_unref")]
    internal static partial void GObjectUnref(nint gobject);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_object_ref")]
    internal static partial nint GObjectRef(nint gobject);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_object_set_property", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial void GObjectSetProperty(nint gobject, string name, GValue* value);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_object_get_property", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial void GObjectGetProperty(nint gobject, string name, GValue* value);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_value_init")]
    internal static unsafe partial GValue* GValueInit(GValue* value, nuint type);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_value_unset")]
    internal static unsafe partial void GValueUnset(GValue* value);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_value_set_object")]
    internal static unsafe partial void GValueSetObject(GValue* value, nint gobject);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_value_get_object")]
    internal static unsafe partial nint GValueGetObject(GValue* value);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_value_set_boxed")]
    internal static unsafe partial void GValueSetBoxed(GValue* value, nint boxed);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_value_get_boxed")]
    internal static unsafe partial nint GValueGetBoxed(GValue* value);

    [LibraryImport(GObjectLibrary, EntryPoint = "g_type_from_name", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint GTypeFromName(string name);

    [LibraryImport(GLibLibrary, EntryPoint = "g_free")]
    internal static partial void GFree(nint memory);

    [LibraryImport(GLibLibrary, EntryPoint = "g_log_set_handler", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial uint GLogSetHandler(string domain, int levels,
        delegate* unmanaged<nint, int, nint, nint, void> handler, nint userData);
}

/// <summary>GLib's <c>GValue</c>: a type tag and a two-word payload. Must be zeroed before <c>g_value_init</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GValue
{
    internal nuint Type;
    internal ulong Data0;
    internal ulong Data1;
}

/// <summary><c>VipsRect</c>: an area of an image in pixels.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VipsRect(int left, int top, int width, int height)
{
    internal int Left = left;
    internal int Top = top;
    internal int Width = width;
    internal int Height = height;
}

/// <summary><c>VipsBandFormat</c>, numbered as in <c>vips/image.h</c>.</summary>
internal enum VipsBandFormat
{
    NotSet = -1,
    UChar = 0,
    Char = 1,
    UShort = 2,
    Short = 3,
    UInt = 4,
    Int = 5,
    Float = 6,
    Complex = 7,
    Double = 8,
    DpComplex = 9,
}

/// <summary><c>VipsInterpretation</c>, numbered as in <c>vips/image.h</c>.</summary>
internal enum VipsInterpretation
{
    Error = -1,
    Multiband = 0,
    BW = 1,
    Histogram = 10,
    Xyz = 12,
    Lab = 13,
    Cmyk = 15,
    LabQ = 16,
    Rgb = 17,
    Cmc = 18,
    Lch = 19,
    LabS = 21,
    Srgb = 22,
    Yxy = 23,
    Fourier = 24,
    Rgb16 = 25,
    Grey16 = 26,
    Matrix = 27,
    ScRgb = 28,
    Hsv = 29,
}
