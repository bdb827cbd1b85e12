using System.Runtime.InteropServices;

namespace OnnxTransfer.Bench;

/// <summary>
/// CPU seconds (user + system) of this process's finished child processes, from getrusage(RUSAGE_CHILDREN): the
/// difference around a child's run is what that child (and every process it waited for) spent on the cores.
/// </summary>
internal static class ChildCpu
{
    private const int RusageChildren = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, Ixrss, Idrss, Isrss, Minflt, Majflt, Nswap, Inblock, Oublock, Msgsnd, Msgrcv, Nsignals, Nvcsw, Nivcsw;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);

    public static double Seconds()
    {
        if (!OperatingSystem.IsLinux() || getrusage(RusageChildren, out var usage) != 0) return double.NaN;
        return usage.UserSeconds + usage.SystemSeconds + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1e6;
    }
}
