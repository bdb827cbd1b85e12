using System.Globalization;

namespace OnnxTransfer.Runtime;

/// <summary>
/// What "one thread per physical core" means for a model's operators (<see cref="SessionSettings.IntraOpThreads"/> 0):
/// the cores this process may run on, counted from the machine's topology. ONNX Runtime's own default guesses them and
/// can guess low: on a 2-core VM whose topology says two cores of one thread each, it ran one thread (a CPU extraction of
/// MobileNetV2 fp32: 93 images/s against 138 with two). Linux: one per distinct set of thread siblings
/// (<c>/sys/devices/system/cpu/cpuN/topology</c>) among the CPUs the process may use (<c>Cpus_allowed_list</c> in
/// <c>/proc/self/status</c>), at most <see cref="Environment.ProcessorCount"/>, which honours a container's CPU quota.
/// Elsewhere, or where those files are missing, null: ONNX Runtime decides.
/// </summary>
public static class PhysicalCores
{
    private static readonly Lazy<int?> Available = new(() => OperatingSystem.IsLinux() ? CountOnLinux() : null);

    /// <summary>Physical cores this process may run on, or null when the topology cannot be read.</summary>
    public static int? Count => Available.Value;

    private static int? CountOnLinux()
    {
        try
        {
            var status = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            if (status is null) return null;
            return CountDistinct(ParseCpuList(status["Cpus_allowed_list:".Length..]), SiblingsOf, Environment.ProcessorCount);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The thread siblings of one CPU as the kernel lists them (e.g. "0,8" or "0-1"), or null when unknown.</summary>
    private static string? SiblingsOf(int cpu)
    {
        var topology = $"/sys/devices/system/cpu/cpu{cpu.ToString(CultureInfo.InvariantCulture)}/topology/";
        foreach (var name in new[] { "core_cpus_list", "thread_siblings_list" }) // the first is the newer kernels' name
            if (File.Exists(topology + name)) return File.ReadAllText(topology + name).Trim();
        return null;
    }

    /// <summary>
    /// Distinct sibling sets among <paramref name="allowed"/> CPUs, at most <paramref name="quota"/>; null when a CPU's
    /// siblings are unknown or no CPU is allowed.
    /// </summary>
    internal static int? CountDistinct(IReadOnlyList<int> allowed, Func<int, string?> siblingsOf, int quota)
    {
        if (allowed.Count == 0) return null;
        var cores = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cpu in allowed)
        {
            if (siblingsOf(cpu) is not { } siblings) return null;
            cores.Add(siblings);
        }
        return Math.Max(1, Math.Min(cores.Count, quota));
    }

    /// <summary>A kernel CPU list ("0-3,8,10-11") as CPU numbers.</summary>
    /// <exception cref="FormatException">Not such a list.</exception>
    internal static List<int> ParseCpuList(string text)
    {
        var cpus = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-');
            var first = int.Parse(dash < 0 ? part : part[..dash], NumberStyles.None, CultureInfo.InvariantCulture);
            var last = dash < 0 ? first : int.Parse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
            if (last < first) throw new FormatException($"CPU range '{part}' runs backwards.");
            for (var cpu = first; cpu <= last; cpu++) cpus.Add(cpu);
        }
        return cpus;
    }
}
