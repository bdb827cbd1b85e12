using System.Diagnostics;

namespace OnnxTransfer.TestSupport;

/// <summary>
/// Runs a reference implementation in Node.js (DuckDB, Hugging Face tokenizers, onnxruntime-node) from
/// <c>tools/node</c>, where <c>tools/setup.sh --oracles</c> installed them.
/// </summary>
public static class NodeOracle
{
    /// <summary>Runs <c>node tools/node/SCRIPT args</c>, feeding <paramref name="stdin"/>, and returns its stdout.</summary>
    public static string Run(string script, IEnumerable<string> arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        var modules = Path.Combine(RepositoryPaths.NodeOracles, "node_modules");
        if (!Directory.Exists(modules))
            throw new InvalidOperationException($"Node oracles are not installed in '{modules}': run tools/setup.sh --oracles.");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryPaths.NodeOracles,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.NodeOracles, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started");
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();

        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in time");
        }
        var stdout = stdoutTask.GetAwaiter().GetResult();
        var stderr = stderrTask.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {script} exited with {process.ExitCode}:\n{stderr}");
        return stdout;
    }
}
