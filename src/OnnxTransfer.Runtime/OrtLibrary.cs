using System.Runtime.InteropServices;
using OnnxTransfer.Runtime.Native;

namespace OnnxTransfer.Runtime;

/// <summary>
/// The ONNX Runtime shared library this process uses: where it was found, its version, and its C API table.
/// </summary>
/// <remarks>
/// Search order: a path given with <see cref="UsePath"/> (the CLI's <c>--ort-library</c>), then
/// <c>$ONNXTRANSFER_ORT_LIBRARY</c>, then <c>libonnxruntime.so.1</c> beside the application (published apps), then
/// <c>$ONNXTRANSFER_HOME/onnxruntime/1.30.0/</c> (default <c>~/.local/share/onnxtransfer</c>, where
/// <c>tools/setup.sh</c> installs it), then the system loader. A path the user names (the first two) is used or
/// refused, never silently replaced by another library.
/// </remarks>
public sealed unsafe class OrtLibrary
{
    /// <summary>Environment variable naming the library file to load.</summary>
    public const string LibraryPathVariable = "ONNXTRANSFER_ORT_LIBRARY";

    /// <summary>Environment variable naming OnnxTransfer's data folder (default <c>~/.local/share/onnxtransfer</c>).</summary>
    public const string HomeVariable = "ONNXTRANSFER_HOME";

    /// <summary>The ONNX Runtime release <c>tools/setup.sh</c> installs and the tests run against.</summary>
    public const string PinnedVersion = "1.30.0";

    /// <summary>The C API version this binding's function table indices are taken from; older libraries are refused.</summary>
    public const uint RequiredApiVersion = 30;

    internal const string FixAdvice =
        "Run tools/setup.sh (it installs ONNX Runtime " + PinnedVersion + " under $ONNXTRANSFER_HOME/onnxruntime/" + PinnedVersion +
        "), or set " + LibraryPathVariable + " (CLI: --ort-library) to the full path of libonnxruntime.so.1 from ONNX Runtime " +
        PinnedVersion + " or newer.";

    private static readonly Lock Gate = new();
    private static string? s_explicitPath;
    private static volatile OrtLibrary? s_shared;

    private readonly Lazy<string> _buildInfo;

    private OrtLibrary(nint handle, string path, OrtLibrarySource source, string version, OrtApi api)
    {
        Handle = handle;
        LoadedPath = path;
        Source = source;
        Version = version;
        Api = api;
        _buildInfo = new Lazy<string>(() => Marshal.PtrToStringUTF8((nint)Api.GetBuildInfoString()) ?? "");
    }

    /// <summary>The platform's file name of the ONNX Runtime library.</summary>
    public static string LibraryFileName =>
        OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so.1";

    /// <summary>The library this process uses, loaded on first access. Throws <see cref="OrtLibraryException"/> if none loads.</summary>
    public static OrtLibrary Shared => s_shared ?? LoadShared();

    /// <summary>Whether <see cref="Shared"/> has been loaded already (for diagnostics; does not load it).</summary>
    public static bool IsLoaded => s_shared is not null;

    /// <summary>
    /// Names the library file to load, before anything touches ONNX Runtime. Calling it after the library was loaded from
    /// another path throws, because a process cannot switch ONNX Runtime libraries.
    /// </summary>
    public static void UsePath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        lock (Gate)
        {
            if (s_shared is { } loaded && loaded.LoadedPath != fullPath)
                throw new InvalidOperationException(
                    $"ONNX Runtime was already loaded from '{loaded.LoadedPath}'; OrtLibrary.UsePath('{fullPath}') must be called before the first use of ONNX Runtime.");
            s_explicitPath = fullPath;
        }
    }

    /// <summary>The file that was loaded (or the bare name handed to the system loader, when it was found that way).</summary>
    public string LoadedPath { get; }

    /// <summary>How <see cref="LoadedPath"/> was found.</summary>
    public OrtLibrarySource Source { get; }

    /// <summary>ONNX Runtime's version string, e.g. "1.30.0".</summary>
    public string Version { get; }

    /// <summary>The C API version in use (always <see cref="RequiredApiVersion"/>: the binding asks for exactly that table).</summary>
    public uint ApiVersion => RequiredApiVersion;

    /// <summary>ORT's build description ("ORT Build Info: git-branch=..., build type=..."), for <c>doctor</c>.</summary>
    public string BuildInfo => _buildInfo.Value;

    internal nint Handle { get; }

    internal OrtApi Api { get; }

    /// <summary>Execution providers compiled into this library, e.g. ["CPUExecutionProvider"]. Being listed does not
    /// mean a provider can start: CUDA also needs its provider libraries, the CUDA runtime and a GPU.</summary>
    public IReadOnlyList<string> AvailableProviders
    {
        get
        {
            byte** names = null;
            int count = 0;
            OrtStatus.Check(Api, Api.GetAvailableProviders(&names, &count));
            try
            {
                var result = new string[count];
                for (int i = 0; i < count; i++) result[i] = Marshal.PtrToStringUTF8((nint)names[i]) ?? "";
                return result;
            }
            finally
            {
                OrtStatus.Check(Api, Api.ReleaseAvailableProviders(names, count));
            }
        }
    }

    /// <summary>The places the library is looked for, in order, as the current settings and environment give them.</summary>
    public static IReadOnlyList<OrtLibraryCandidate> Candidates()
    {
        var candidates = new List<OrtLibraryCandidate>();
        string? explicitPath;
        lock (Gate) explicitPath = s_explicitPath;
        if (explicitPath is not null)
            candidates.Add(new(explicitPath, OrtLibrarySource.ExplicitPath));
        var fromEnvironment = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            candidates.Add(new(Path.GetFullPath(fromEnvironment), OrtLibrarySource.EnvironmentVariable));
        candidates.Add(new(Path.Combine(AppContext.BaseDirectory, LibraryFileName), OrtLibrarySource.ApplicationDirectory));
        candidates.Add(new(Path.Combine(HomeDirectory, "onnxruntime", PinnedVersion, LibraryFileName), OrtLibrarySource.OnnxTransferHome));
        candidates.Add(new(LibraryFileName, OrtLibrarySource.SystemLoader));
        return candidates;
    }

    /// <summary><c>$ONNXTRANSFER_HOME</c>, or <c>~/.local/share/onnxtransfer</c> as <c>tools/setup.sh</c> uses.</summary>
    public static string HomeDirectory
    {
        get
        {
            var home = Environment.GetEnvironmentVariable(HomeVariable);
            return string.IsNullOrWhiteSpace(home)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "onnxtransfer")
                : Path.GetFullPath(home);
        }
    }

    /// <summary>
    /// Loads one specific file without touching the process-wide <see cref="Shared"/> instance (tests, <c>doctor</c>
    /// probing another library). Throws <see cref="OrtLibraryException"/> naming the file and the reason.
    /// </summary>
    internal static OrtLibrary LoadFrom(string path, OrtLibrarySource source = OrtLibrarySource.ExplicitPath) =>
        Load([new OrtLibraryCandidate(path, source)]);

    /// <summary>Tries the candidates in order; a candidate the user named stops the search when it fails.</summary>
    internal static OrtLibrary Load(IReadOnlyList<OrtLibraryCandidate> candidates)
    {
        var attempts = new List<OrtLibraryAttempt>();
        foreach (var candidate in candidates)
        {
            var library = TryLoad(candidate, out var failure, out var tooOld);
            if (library is not null) return library;
            attempts.Add(new OrtLibraryAttempt(candidate.Path, candidate.Source, failure!, tooOld));
            if (candidate.Source is OrtLibrarySource.ExplicitPath or OrtLibrarySource.EnvironmentVariable) break;
        }
        throw OrtLibraryException.Create(attempts);
    }

    private static OrtLibrary LoadShared()
    {
        lock (Gate)
        {
            return s_shared ??= Load(Candidates());
        }
    }

    private static OrtLibrary? TryLoad(OrtLibraryCandidate candidate, out string? failure, out bool tooOld)
    {
        tooOld = false;
        var isBareName = candidate.Source == OrtLibrarySource.SystemLoader;
        if (!isBareName && !File.Exists(candidate.Path))
        {
            failure = Directory.Exists(candidate.Path) ? "is a directory, not the library file" : "no such file";
            return null;
        }

        nint handle;
        try
        {
            handle = NativeLibrary.Load(candidate.Path);
        }
        catch (DllNotFoundException e)
        {
            failure = "could not be loaded: " + e.Message;
            return null;
        }
        catch (BadImageFormatException e)
        {
            failure = "is not a loadable library for this platform: " + e.Message;
            return null;
        }

        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out var getApiBase))
        {
            NativeLibrary.Free(handle);
            failure = "loaded, but it is not ONNX Runtime (it has no OrtGetApiBase export)";
            return null;
        }

        var apiBase = ((delegate* unmanaged<OrtApiBase*>)getApiBase)();
        var version = Marshal.PtrToStringUTF8((nint)apiBase->GetVersionString()) ?? "unknown";
        var table = apiBase->GetApi(RequiredApiVersion);
        if (table == 0)
        {
            var newest = NewestApiVersion(apiBase);
            NativeLibrary.Free(handle);
            tooOld = true;
            failure = $"is ONNX Runtime {version}, whose C API (version {newest}) is older than the version {RequiredApiVersion} " +
                      $"OnnxTransfer needs (ONNX Runtime {PinnedVersion} or newer)";
            return null;
        }

        var path = isBareName ? candidate.Path : Path.GetFullPath(candidate.Path);
        failure = null;
        return new OrtLibrary(handle, path, candidate.Source, version, new OrtApi(table));
    }

    /// <summary>The highest API version an old library still hands out, to say how old it is.</summary>
    private static uint NewestApiVersion(OrtApiBase* apiBase)
    {
        for (var v = RequiredApiVersion - 1; v >= 1; v--)
            if (apiBase->GetApi(v) != 0) return v;
        return 0;
    }

    /// <summary>The C layout of <c>OrtApiBase</c>: the only struct ORT hands out before the versioned table.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct OrtApiBase
    {
        public readonly delegate* unmanaged<uint, nint> GetApi;
        public readonly delegate* unmanaged<byte*> GetVersionString;
    }
}

/// <summary>Where an ONNX Runtime library candidate comes from, in search order.</summary>
public enum OrtLibrarySource
{
    ExplicitPath,
    EnvironmentVariable,
    ApplicationDirectory,
    OnnxTransferHome,
    SystemLoader,
}

/// <summary>One place the library is looked for.</summary>
public sealed record OrtLibraryCandidate(string Path, OrtLibrarySource Source);

/// <summary>One failed try at loading the library and why it failed.</summary>
public sealed record OrtLibraryAttempt(string Path, OrtLibrarySource Source, string Failure, bool LoadedButTooOld)
{
    public override string ToString() => $"{Path} ({Source}): {Failure}";
}
