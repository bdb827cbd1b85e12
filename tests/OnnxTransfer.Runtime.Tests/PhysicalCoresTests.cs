namespace OnnxTransfer.Runtime.Tests;

/// <summary>
/// "0 threads = one per physical core": the count comes from the machine's topology (ONNX Runtime's own guess ran one
/// thread on this 2-core VM). The list parser and the counting rule on made-up topologies (hyper-threads, an affinity
/// subset, a container quota), and on this machine against the kernel's other description of the cores.
/// </summary>
public sealed class PhysicalCoresTests
{
    [Test]
    public void KernelCpuListsParse()
    {
        Assert.That(PhysicalCores.ParseCpuList("0-3,8,10-11\n"), Is.EqualTo(new[] { 0, 1, 2, 3, 8, 10, 11 }));
        Assert.That(PhysicalCores.ParseCpuList(" 5 "), Is.EqualTo(new[] { 5 }));
        Assert.Throws<FormatException>(() => PhysicalCores.ParseCpuList("3-1"));
        Assert.Throws<FormatException>(() => PhysicalCores.ParseCpuList("a-b"));
    }

    [Test]
    public void HyperThreadsCountOnceAndTheAffinityAndQuotaBound()
    {
        // 8 CPUs on 4 cores, siblings n and n + 4, as Intel numbers them.
        static string? Siblings(int cpu) => cpu < 8 ? $"{cpu % 4},{cpu % 4 + 4}" : null;
        var all = Enumerable.Range(0, 8).ToList();
        Assert.That(PhysicalCores.CountDistinct(all, Siblings, quota: 8), Is.EqualTo(4));
        Assert.That(PhysicalCores.CountDistinct([0, 4], Siblings, quota: 8), Is.EqualTo(1), "two hyper-threads of one core");
        Assert.That(PhysicalCores.CountDistinct([0, 1, 4, 5], Siblings, quota: 8), Is.EqualTo(2));
        Assert.That(PhysicalCores.CountDistinct(all, Siblings, quota: 2), Is.EqualTo(2), "a container's CPU quota");
        Assert.That(PhysicalCores.CountDistinct([0, 9], Siblings, quota: 8), Is.Null, "a CPU whose topology is unknown: ONNX Runtime decides");
        Assert.That(PhysicalCores.CountDistinct([], Siblings, quota: 8), Is.Null);
    }

    [Test]
    public void OnLinuxTheCountMatchesTheCoreIdsOfTheAllowedCpus()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("the topology is read on Linux only");
        var allowed = PhysicalCores.ParseCpuList(File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Cpus_allowed_list:"))["Cpus_allowed_list:".Length..]);
        var cores = allowed.Select(cpu =>
        {
            var topology = $"/sys/devices/system/cpu/cpu{cpu}/topology/";
            return (File.ReadAllText(topology + "physical_package_id").Trim(), File.ReadAllText(topology + "core_id").Trim());
        }).Distinct().Count();
        Assert.That(PhysicalCores.Count, Is.EqualTo(Math.Min(cores, Environment.ProcessorCount)));
        Assert.That(new SessionSettings().EffectiveIntraOpThreads, Is.EqualTo(PhysicalCores.Count));
        Assert.That(new SessionSettings { IntraOpThreads = 3 }.EffectiveIntraOpThreads, Is.EqualTo(3));
    }
}
