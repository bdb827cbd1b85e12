using System.Reflection;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Parquet.Compression;

/// <summary>
/// The entry points of the system zstd library (libzstd.so.1 on Debian/Ubuntu) this library uses. Contexts are owned by
/// <see cref="ZstdContext"/>; every size_t result goes through <see cref="Zstd.Check"/>.
/// </summary>
internal static partial class ZstdNative
{
    private const string Library = "zstd";

    static ZstdNative() => NativeLibrary.SetDllImportResolver(typeof(ZstdNative).Assembly, Resolve);

    /// <summary>Forces the static constructor (and so the resolver) to run before the first native call.</summary>
    internal static void EnsureResolver() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in new[] { "libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib", "libzstd.dll", "zstd.dll" })
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
                return handle;
        return IntPtr.Zero;
    }

    [LibraryImport(Library, EntryPoint = "ZSTD_createDCtx")]
    internal static partial IntPtr CreateDCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDCtx")]
    internal static partial nuint FreeDCtx(IntPtr context);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressDCtx")]
    internal static unsafe partial nuint DecompressDCtx(IntPtr context, byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    internal static partial IntPtr CreateCCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    internal static partial nuint FreeCCtx(IntPtr context);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressCCtx")]
    internal static unsafe partial nuint CompressCCtx(IntPtr context, byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize, int level);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    internal static partial nuint CompressBound(nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameContentSize")]
    internal static unsafe partial ulong GetFrameContentSize(byte* source, nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    internal static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    internal static partial IntPtr GetErrorName(nuint code);
}

/// <summary>One owner per native zstd context (compression or decompression).</summary>
internal sealed class ZstdContext : SafeHandle
{
    private readonly bool _compression;

    private ZstdContext(IntPtr handle, bool compression) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(handle);
        _compression = compression;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public static ZstdContext CreateDecompression() => Create(ZstdNative.CreateDCtx(), compression: false);

    public static ZstdContext CreateCompression() => Create(ZstdNative.CreateCCtx(), compression: true);

    private static ZstdContext Create(IntPtr handle, bool compression)
    {
        if (handle == IntPtr.Zero) throw new OutOfMemoryException("libzstd could not create a context");
        return new ZstdContext(handle, compression);
    }

    protected override bool ReleaseHandle()
    {
        if (_compression) ZstdNative.FreeCCtx(handle);
        else ZstdNative.FreeDCtx(handle);
        return true;
    }
}

/// <summary>ZSTD page compression over the system library, with one context per thread for each direction.</summary>
internal static class Zstd
{
    public const int DefaultLevel = 3;

    [ThreadStatic] private static ZstdContext? t_decompression;
    [ThreadStatic] private static ZstdContext? t_compression;

    /// <summary>Decompresses <paramref name="source"/> (one or more frames) into exactly <c>destination.Length</c> bytes.</summary>
    public static unsafe void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var context = t_decompression ??= Load(ZstdContext.CreateDecompression);
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var contextHandle = context.DangerousGetHandle();
            written = ZstdNative.DecompressDCtx(contextHandle, dst, (nuint)destination.Length, src, (nuint)source.Length);
        }
        var produced = Check(written, "ZSTD data is corrupt");
        if (produced != (ulong)destination.Length)
            throw new CorruptDataException($"ZSTD data decompresses to {produced} bytes where the page header says {destination.Length}");
    }

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/>, which must hold <see cref="CompressBound"/> bytes; returns the size.</summary>
    public static unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        var context = t_compression ??= Load(ZstdContext.CreateCompression);
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = ZstdNative.CompressCCtx(context.DangerousGetHandle(), dst, (nuint)destination.Length, src, (nuint)source.Length, level);
        }
        return (int)CheckWriter(written);
    }

    public static int CompressBound(int sourceLength)
    {
        t_compression ??= Load(ZstdContext.CreateCompression); // the first native call: a missing library is explained here
        return (int)Math.Min(int.MaxValue, (ulong)ZstdNative.CompressBound((nuint)sourceLength));
    }

    private static ZstdContext Load(Func<ZstdContext> create)
    {
        ZstdNative.EnsureResolver();
        try
        {
            return create();
        }
        catch (DllNotFoundException e)
        {
            throw new NotSupportedException(
                "ZSTD compression needs the system zstd library (libzstd.so.1), which was not found. Install it " +
                "(Debian/Ubuntu: apt-get install libzstd1) or choose another codec.", e);
        }
    }

    private static ulong Check(nuint code, string what)
    {
        if (ZstdNative.IsError(code) != 0)
            throw new CorruptDataException($"{what}: {Marshal.PtrToStringAnsi(ZstdNative.GetErrorName(code))}");
        return code;
    }

    private static ulong CheckWriter(nuint code)
    {
        if (ZstdNative.IsError(code) != 0)
            throw new InvalidOperationException($"ZSTD compression failed: {Marshal.PtrToStringAnsi(ZstdNative.GetErrorName(code))}");
        return code;
    }
}
