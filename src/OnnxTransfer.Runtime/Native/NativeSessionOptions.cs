using System.Runtime.InteropServices;

namespace OnnxTransfer.Runtime.Native;

/// <summary>Turns a <see cref="SessionOptions"/> record into the native <c>OrtSessionOptions</c> a session is created with.</summary>
internal static unsafe class NativeSessionOptions
{
    /// <summary>Makes ORT record which provider each node went to, so a session can report the providers in use.</summary>
    public const string RecordEpAssignmentKey = "session.record_ep_graph_assignment_info";

    /// <summary>
    /// Builds the native options. With <paramref name="cpuOnly"/> accelerators are left out (the fallback attempt).
    /// An accelerator that cannot be appended is refused (Strict) or reported in <paramref name="warnings"/> and
    /// skipped (FallbackToCpu). <paramref name="registered"/> receives the providers appended, in priority order,
    /// ending with CPU.
    /// </summary>
    public static OrtSessionOptionsHandle Create(
        SessionOptions options, OrtEnvironment environment, bool cpuOnly, WarningLog warnings, List<string> registered)
    {
        var api = environment.Library.Api;
        nint native;
        OrtStatus.Check(api, api.CreateSessionOptions(&native));
        var handle = new OrtSessionOptionsHandle(native);
        try
        {
            Configure(api, native, options, environment);
            registered.Clear();
            if (!cpuOnly)
            {
                foreach (var provider in options.ExecutionProviders)
                {
                    if (provider is CudaExecutionProvider cuda && TryAppendCuda(api, native, cuda, options, environment.Library, warnings))
                        registered.Add(cuda.Name);
                }
            }
            registered.Add(CpuExecutionProvider.ProviderName);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void Configure(OrtApi api, nint native, SessionOptions options, OrtEnvironment environment)
    {
        if (options.UsesGlobalThreadPools(environment))
        {
            OrtStatus.Check(api, api.DisablePerSessionThreads(native));
        }
        else
        {
            OrtStatus.Check(api, api.SetIntraOpNumThreads(native, options.IntraOpThreads));
            OrtStatus.Check(api, api.SetInterOpNumThreads(native, options.InterOpThreads));
        }
        OrtStatus.Check(api, api.SetSessionGraphOptimizationLevel(native, (int)options.GraphOptimizationLevel));
        OrtStatus.Check(api, api.SetSessionExecutionMode(native, (int)options.ExecutionMode));
        OrtStatus.Check(api, options.EnableCpuMemoryArena ? api.EnableCpuMemArena(native) : api.DisableCpuMemArena(native));
        if (options.OptimizedModelPath is { } optimizedPath)
        {
            fixed (byte* path = NativeText.OrtPath(Path.GetFullPath(optimizedPath)))
                OrtStatus.Check(api, api.SetOptimizedModelFilePath(native, path));
        }
        if (options.LogId is { } logId)
        {
            fixed (byte* id = NativeText.Utf8z(logId))
                OrtStatus.Check(api, api.SetSessionLogId(native, id));
        }
        if (options.LogLevel is { } level)
            OrtStatus.Check(api, api.SetSessionLogSeverityLevel(native, (int)level));

        if (!options.ConfigEntries.ContainsKey(RecordEpAssignmentKey))
            AddConfigEntry(api, native, RecordEpAssignmentKey, "1");
        foreach (var (key, value) in options.ConfigEntries)
            AddConfigEntry(api, native, key, value);
    }

    private static void AddConfigEntry(OrtApi api, nint native, string key, string value)
    {
        fixed (byte* k = NativeText.Utf8z(key))
        fixed (byte* v = NativeText.Utf8z(value))
            OrtStatus.Check(api, api.AddSessionConfigEntry(native, k, v));
    }

    /// <summary>CUDA through the V2 API: create provider options, set device and options, append, release.</summary>
    private static bool TryAppendCuda(OrtApi api, nint native, CudaExecutionProvider cuda, SessionOptions options, OrtLibrary library, WarningLog warnings)
    {
        var status = AppendCuda(api, native, cuda, library);
        if (status is null) return true;
        var message = ProviderDiagnostics.CudaUnavailable(library, status.NativeMessage);
        if (options.ProviderFallback == ProviderFallback.Strict)
            throw new ExecutionProviderUnavailableException(cuda.Name, message, status);
        warnings.Add($"{cuda.Name} is unavailable, running on CPU instead. {message}");
        return false;
    }

    private static OrtException? AppendCuda(OrtApi api, nint native, CudaExecutionProvider cuda, OrtLibrary library)
    {
        nint cudaOptions;
        var status = api.CreateCudaProviderOptions(&cudaOptions);
        if (status != 0) return OrtStatus.ToException(api, status);
        using var cudaHandle = new OrtCudaProviderOptionsHandle(cudaOptions);

        var keys = new List<string>(cuda.Options.Count + 1) { "device_id" };
        var values = new List<string>(cuda.Options.Count + 1) { cuda.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (key, value) in cuda.Options)
        {
            keys.Add(key);
            values.Add(value);
        }
        var keyBytes = keys.ConvertAll(NativeText.Utf8z);
        var valueBytes = values.ConvertAll(NativeText.Utf8z);
        var keyHandles = new GCHandle[keys.Count];
        var valueHandles = new GCHandle[keys.Count];
        var keyPointers = stackalloc byte*[keys.Count];
        var valuePointers = stackalloc byte*[keys.Count];
        try
        {
            for (int i = 0; i < keys.Count; i++)
            {
                keyHandles[i] = GCHandle.Alloc(keyBytes[i], GCHandleType.Pinned);
                valueHandles[i] = GCHandle.Alloc(valueBytes[i], GCHandleType.Pinned);
                keyPointers[i] = (byte*)keyHandles[i].AddrOfPinnedObject();
                valuePointers[i] = (byte*)valueHandles[i].AddrOfPinnedObject();
            }
            status = api.UpdateCudaProviderOptions(cudaOptions, keyPointers, valuePointers, (nuint)keys.Count);
            if (status != 0)
            {
                // ORT loads the CUDA provider library to parse options, so this fails both when the provider is missing
                // and when an option is wrong. A wrong option is the caller's mistake and must never fall back to CPU.
                var error = OrtStatus.ToException(api, status);
                if (ProviderDiagnostics.MissingCudaProviderLibraries(library).Count > 0) return error;
                throw new ArgumentException($"Invalid CUDA provider option: {error.NativeMessage}", nameof(CudaExecutionProvider.Options), error);
            }
        }
        finally
        {
            foreach (var h in keyHandles) if (h.IsAllocated) h.Free();
            foreach (var h in valueHandles) if (h.IsAllocated) h.Free();
        }

        status = api.SessionOptionsAppendExecutionProviderCudaV2(native, cudaOptions);
        return status == 0 ? null : OrtStatus.ToException(api, status);
    }
}
