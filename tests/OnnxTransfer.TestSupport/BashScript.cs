using System.Diagnostics;
using System.Text;

namespace OnnxTransfer.TestSupport;

/// <summary>Runs a bash script or command text the way a user would, capturing what it prints.</summary>
public static class BashScript
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    /// <summary>Runs <c>bash -c TEXT</c> (or <c>bash FILE</c> when <paramref name="isFile"/>) in <paramref name="workingDirectory"/>.</summary>
    public static Result Run(string textOrFile, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null, bool isFile = false)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (isFile) start.ArgumentList.Add(textOrFile);
        else { start.ArgumentList.Add("-c"); start.ArgumentList.Add(textOrFile); }
        start.Environment["ONNXTRANSFER_SHARED"] = SharedData.Root;
        if (environment is not null)
            foreach (var (name, value) in environment)
                if (value.Length == 0) start.Environment.Remove(name); // "" unsets (e.g. ONNXTRANSFER_SHARED for a machine without it)
                else start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash could not be started");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bash {(isFile ? textOrFile : "-c …")} did not finish in time:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drain the asynchronous readers
        return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
