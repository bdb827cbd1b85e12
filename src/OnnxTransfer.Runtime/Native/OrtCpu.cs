namespace OnnxTransfer.Runtime.Native;

/// <summary>
/// The two process-wide CPU objects ORT hands out: the memory info that says "this tensor lives in ordinary CPU
/// memory" (created once, owned here for the process lifetime) and ORT's default allocator (owned by ORT itself,
/// never released), used to free the names and strings ORT returns.
/// </summary>
internal static unsafe class OrtCpu
{
    private const int ArenaAllocator = 1;   // OrtAllocatorType.OrtArenaAllocator
    private const int MemTypeDefault = 0;   // OrtMemType.OrtMemTypeDefault

    private static readonly Lazy<OrtMemoryInfoHandle> MemoryInfoHandle = new(() =>
    {
        var api = OrtLibrary.Shared.Api;
        nint info;
        OrtStatus.Check(api, api.CreateCpuMemoryInfo(ArenaAllocator, MemTypeDefault, &info));
        return new OrtMemoryInfoHandle(info);
    });

    private static readonly Lazy<nint> DefaultAllocatorPointer = new(() =>
    {
        var api = OrtLibrary.Shared.Api;
        nint allocator;
        OrtStatus.Check(api, api.GetAllocatorWithDefaultOptions(&allocator));
        return allocator;
    });

    /// <summary>CPU memory info for tensors over caller memory; never released, so the raw pointer stays valid.</summary>
    public static nint MemoryInfo => MemoryInfoHandle.Value.Pointer;

    /// <summary>ORT's default CPU allocator (not owned by us).</summary>
    public static nint DefaultAllocator => DefaultAllocatorPointer.Value;
}
