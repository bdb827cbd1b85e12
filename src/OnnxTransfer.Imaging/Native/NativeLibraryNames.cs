using System.Reflection;
using System.Runtime.InteropServices;

namespace OnnxTransfer.Imaging.Native;

/// <summary>
/// The entry points are declared with their Linux names; on macOS and Windows the same libraries have other file names.
/// This maps them, so one declaration table serves every platform.
/// </summary>
internal static class NativeLibraryNames
{
    private static int _registered;

    internal static void RegisterResolver()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryNames).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        foreach (var candidate in Candidates(name))
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
                return handle;
        return 0; // fall back to the runtime's default probing (and its DllNotFoundException)
    }

    private static IEnumerable<string> Candidates(string name)
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
}
