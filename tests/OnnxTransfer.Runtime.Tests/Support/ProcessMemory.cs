namespace OnnxTransfer.Runtime.Tests.Support;

/// <summary>Resident set size of this process (managed heap + native allocations + code), from /proc.</summary>
internal static class ProcessMemory
{
    public static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        throw new InvalidOperationException("VmRSS not found in /proc/self/status");
    }

    /// <summary>Managed heap after a full, compacting collection.</summary>
    public static long ManagedBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
