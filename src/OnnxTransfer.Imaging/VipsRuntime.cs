using System.Runtime.InteropServices;
using OnnxTransfer.Imaging.Native;

namespace OnnxTransfer.Imaging;

/// <summary>
/// Starts libvips once per process: checks the version, sets its thread count, and turns its operation cache off (we
/// never look at an image twice, so the cache would only hold memory and file buffers).
/// </summary>
public static class VipsRuntime
{
    /// <summary>The oldest libvips we accept: 8.12 brought the <c>fail_on</c> load option we rely on.</summary>
    public static readonly Version MinimumVersion = new(8, 12);

    private static readonly Lock Gate = new();
    private static volatile bool _initialized;
    private static Version? _version;
    private static bool _warningsSilenced;

    /// <summary>The libvips version found, once initialised.</summary>
    public static Version Version => EnsureInitializedAndGet();

    /// <summary>The libvips file in use (initialises libvips): the bundled NetVips.Native one, or the system's.</summary>
    public static string LibraryPath => EnsureInitializedAndGet() is not null && NativeLibraryNames.Loaded is { } loaded ? loaded.Path : LibVips.VipsLibrary;

    /// <summary>
    /// True when the bundled libvips (NuGet NetVips.Native.linux-x64, GLib inside) is in use; false for the system's. The
    /// rule: bundled when present, unless <c>ONNXTRANSFER_LIBVIPS=system</c>.
    /// </summary>
    public static bool IsBundled => EnsureInitializedAndGet() is not null && NativeLibraryNames.Loaded is { Bundled: true };

    /// <summary>
    /// Initialises libvips (if needed) and applies <paramref name="settings"/>. Safe to call again: the thread count
    /// follows the latest call. Throws <see cref="VipsException"/> when libvips is missing or too old.
    /// </summary>
    public static void Initialize(VipsRuntimeSettings? settings = null)
    {
        settings ??= new VipsRuntimeSettings();
        if (settings.Concurrency < 1)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Concurrency,
                "VipsRuntimeSettings.Concurrency must be at least 1 (threads libvips may use per image).");
        lock (Gate)
        {
            if (!_initialized) Start();
            LibVips.ConcurrencySet(settings.Concurrency);
            if (settings.SilenceWarnings && !_warningsSilenced) SilenceWarnings();
            _initialized = true;
        }
    }

    internal static void EnsureInitialized()
    {
        if (!_initialized) Initialize();
    }

    private static Version EnsureInitializedAndGet()
    {
        EnsureInitialized();
        return _version!;
    }

    private static void Start()
    {
        try
        {
            NativeLibraryNames.RegisterResolver();
            var version = new Version(LibVips.Version(0), LibVips.Version(1), LibVips.Version(2));
            if (version < MinimumVersion)
                throw new VipsException("vips_init",
                    $"libvips {version} is too old: OnnxTransfer.Imaging needs libvips {MinimumVersion} or newer. " +
                    "Use the bundled one (NuGet NetVips.Native.linux-x64; unset ONNXTRANSFER_LIBVIPS) or install a newer libvips.", null);
            VipsErrors.Check(LibVips.Init("onnxtransfer"), "vips_init");
            _version = version;
        }
        catch (DllNotFoundException e)
        {
            throw new VipsException("vips_init", e.Message.StartsWith("libvips", StringComparison.Ordinal) || e.Message.StartsWith(NativeLibraryNames.PreferenceVariable, StringComparison.Ordinal)
                ? e.Message
                : $"libvips could not be loaded ({e.Message}). Install libvips 8.12 or newer (Debian/Ubuntu: apt-get install libvips42; macOS: brew install vips).", e);
        }
        catch (EntryPointNotFoundException e)
        {
            throw new VipsException("vips_init",
                $"The libvips found lacks a function OnnxTransfer.Imaging needs; install libvips {MinimumVersion} or newer.", e);
        }

        // Every image is decoded once: an operation cache would only keep file buffers and pixels alive.
        LibVips.CacheSetMax(0);
        LibVips.CacheSetMaxMem(0);
        LibVips.CacheSetMaxFiles(0);
    }

    private static unsafe void SilenceWarnings()
    {
        const int warning = 1 << 4, message = 1 << 5, info = 1 << 6, debug = 1 << 7;
        LibVips.GLogSetHandler("VIPS", warning | message | info | debug, &IgnoreLogMessage, 0);
        _warningsSilenced = true;
    }

    [UnmanagedCallersOnly]
    private static void IgnoreLogMessage(nint domain, int level, nint message, nint userData) { }
}
