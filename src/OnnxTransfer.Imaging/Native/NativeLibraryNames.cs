using System.Reflection;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging.Native;

/// <summary>
/// Decides, once per process, which libvips the binding uses, and points every import at it. The rule:
/// <list type="number">
/// <item>the bundled libvips — NuGet NetVips.Native.linux-x64's self-contained libvips.so.42, with GLib and GObject
/// inside — beside the application or under <c>runtimes/linux-x64/native/</c>; our GLib/GObject imports then resolve to
/// that same library, so one GLib serves every call;</item>
/// <item>otherwise the system's (apt libvips42, Homebrew vips) with its own libglib/libgobject.</item>
/// </list>
/// <c>ONNXTRANSFER_LIBVIPS=system</c> skips the bundled one; <c>ONNXTRANSFER_LIBVIPS=bundled</c> insists on it.
/// On macOS and Windows the system libraries have other file names; they are mapped here too.
/// </summary>
internal static class NativeLibraryNames
{
    internal const string PreferenceVariable = "ONNXTRANSFER_LIBVIPS";

    private static readonly Lock Gate = new();
    private static int _registered;
    private static nint _vips;
    private static nint _turboJpeg;

    /// <summary>The libvips file that was loaded and whether it is the bundled one (null before the first call).</summary>
    internal static (string Path, bool Bundled)? Loaded { get; private set; }

    internal static void RegisterResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryNames).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == LibVips.VipsLibrary) return LoadVips();
        if (name == TurboJpeg.Library) return LoadTurboJpeg();
        if (name is LibVips.GObjectLibrary or LibVips.GLibLibrary)
        {
            var vips = LoadVips();
            if (Loaded is { Bundled: true }) return vips; // GLib lives inside the bundled libvips: never load a second one
            foreach (var candidate in SystemNames(name))
                if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        return 0; // the runtime's default probing (and its DllNotFoundException)
    }

    private static nint LoadVips()
    {
        lock (Gate)
        {
            if (_vips != 0) return _vips;
            var preference = Environment.GetEnvironmentVariable(PreferenceVariable)?.Trim().ToLowerInvariant();
            if (preference is { Length: > 0 } and not ("system" or "bundled"))
                throw new DllNotFoundException($"{PreferenceVariable}={preference} is not understood: use 'bundled' or 'system' (or leave it unset).");
            if (preference != "system")
            {
                foreach (var path in BundledPaths())
                    if (File.Exists(path) && NativeLibrary.TryLoad(path, out var bundled))
                        return Remember(bundled, path, true);
                if (preference == "bundled")
                    throw new DllNotFoundException($"{PreferenceVariable}=bundled, but no bundled libvips was found (looked for " +
                        $"{string.Join(", ", BundledPaths())}); the NetVips.Native.linux-x64 package puts it there.");
            }
            foreach (var candidate in SystemNames(LibVips.VipsLibrary))
                if (NativeLibrary.TryLoad(candidate, out var system))
                    return Remember(system, LoadedFile("libvips") ?? candidate, false);
            throw new DllNotFoundException(
                "libvips could not be loaded: no bundled libvips.so.42 beside the application (NuGet NetVips.Native.linux-x64 " +
                "puts it there) and no system libvips (Debian/Ubuntu: apt-get install libvips42; macOS: brew install vips)" +
                (preference == "system" ? $"; {PreferenceVariable}=system skipped the bundled one" : "") + ".");
        }
    }

    /// <summary>
    /// libturbojpeg: one beside the application first (a self-contained deployment may carry it: tools/bench/gpu-kit.sh
    /// does), then the system's. None is fine: JPEGs then decode through libvips (see <see cref="DirectJpegDecoder"/>).
    /// </summary>
    private static nint LoadTurboJpeg()
    {
        lock (Gate)
        {
            if (_turboJpeg != 0) return _turboJpeg; // the runtime asks once per entry point
            var beside = Path.Combine(AppContext.BaseDirectory, TurboJpeg.Library);
            if (File.Exists(beside) && NativeLibrary.TryLoad(beside, out var handle))
            {
                TurboJpegPath = beside;
                return _turboJpeg = handle;
            }
            foreach (var candidate in SystemNames(TurboJpeg.Library))
                if (NativeLibrary.TryLoad(candidate, out handle))
                {
                    TurboJpegPath = LoadedFile("libturbojpeg") ?? candidate;
                    return _turboJpeg = handle;
                }
            return 0;
        }
    }

    /// <summary>The libturbojpeg file that was loaded (null before the first JPEG or when there is none).</summary>
    internal static string? TurboJpegPath { get; private set; }

    private static nint Remember(nint handle, string path, bool bundled)
    {
        Loaded = (path, bundled);
        _vips = handle;
        return handle;
    }

    /// <summary>Where NuGet puts the bundled library: beside a published app, or under runtimes/ in a build output.</summary>
    private static IEnumerable<string> BundledPaths()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) yield break;
        yield return Path.Combine(AppContext.BaseDirectory, LibVips.VipsLibrary);
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", LibVips.VipsLibrary);
    }

    private static IEnumerable<string> SystemNames(string name)
    {
        yield return name;
        if (OperatingSystem.IsMacOS())
        {
            if (name == LibVips.VipsLibrary) yield return "libvips.42.dylib";
            if (name == LibVips.GObjectLibrary) yield return "libgobject-2.0.0.dylib";
            if (name == LibVips.GLibLibrary) yield return "libglib-2.0.0.dylib";
            if (name == TurboJpeg.Library) yield return "libturbojpeg.0.dylib";
        }
        else if (OperatingSystem.IsWindows())
        {
            if (name == LibVips.VipsLibrary) yield return "libvips-42.dll";
            if (name == LibVips.GObjectLibrary) yield return "libgobject-2.0-0.dll";
            if (name == LibVips.GLibLibrary) yield return "libglib-2.0-0.dll";
            if (name == TurboJpeg.Library) yield return "turbojpeg.dll";
        }
    }

    /// <summary>The full path of a loaded library whose file name starts with <paramref name="stem"/> (Linux: /proc/self/maps).</summary>
    private static string? LoadedFile(string stem)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                if (slash >= 0 && Path.GetFileName(line[slash..]).StartsWith(stem + ".", StringComparison.Ordinal)) return line[slash..];
            }
        }
        catch (IOException) { /* the path is for reports only */ }
        return null;
    }
}
