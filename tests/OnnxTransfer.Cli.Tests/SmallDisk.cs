using System.Diagnostics;
using System.Text.Json;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// A real disk that fills: a tmpfs of a given size mounted on a test's folder (the disk-full tests of extract and
/// score). Mounting needs root (CI runs the tests as root): without it the test fails, saying so.
/// </summary>
internal sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static SmallDisk Mount(string path, string size)
    {
        if (!Environment.IsPrivilegedProcess)
            Assert.Fail("This test mounts a small tmpfs to fill a real disk, which needs root (CI runs the tests as root); run it as root.");
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        return new SmallDisk(path);
    }

    /// <summary>Frees space: the same tmpfs, bigger, its files kept.</summary>
    public void Grow(string size) => Run("mount", "-o", $"remount,size={size}", Path);

    public void Dispose() => Run("umount", Path);

    /// <summary>
    /// The report of a run the disk stopped (extract and score alike): the last stderr line is one JSON disk-full error
    /// event naming the part and the fix, and no temporary file is left in <paramref name="folder"/>. Returns the event.
    /// </summary>
    public static JsonElement AssertDiskFullReport(string stderr, string folder)
    {
        using var json = JsonDocument.Parse(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
        var error = json.RootElement.Clone();
        Assert.Multiple(() =>
        {
            Assert.That(error.GetProperty("level").GetString(), Is.EqualTo("error"));
            Assert.That(error.GetProperty("event").GetString(), Is.EqualTo("disk-full"));
            Assert.That(error.GetProperty("part").GetInt32(), Is.GreaterThan(0), "some parts fit before the disk filled");
            Assert.That(error.GetProperty("bytes_needed").GetInt64(), Is.GreaterThan(error.GetProperty("bytes_available").GetInt64()));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain($"disk full at part {error.GetProperty("part").GetInt32()}")
                .And.Contain("rows committed").And.Contain("free space and rerun the same command to continue"));
            Assert.That(Directory.GetFiles(folder, "*.tmp"), Is.Empty, "the failed run deleted its temporary files");
        });
        return error;
    }

    /// <summary>mount or umount as a child process; a refusal fails the test with its message.</summary>
    private static void Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            Assert.Fail($"{tool} {string.Join(' ', arguments)} failed ({error.Trim()}): this test needs root and a kernel that allows tmpfs mounts.");
    }
}
