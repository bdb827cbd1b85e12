using System.Diagnostics;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Runs the built CLI as a child process (<c>dotnet onnxtransfer.dll …</c>), as users and schedulers do, so exit codes,
/// signals and kills are real.
/// </summary>
internal static class ExtractCliRunner
{
    public static string MobileNetV2Spec => Path.Combine(RepositoryPaths.OnnxModels, "mobilenetv2-int8.backbone.json");

    /// <summary>The onnxtransfer.dll copied beside the tests (the CLI project is referenced).</summary>
    public static string CliDll
    {
        get
        {
            var local = Path.Combine(AppContext.BaseDirectory, "onnxtransfer.dll");
            if (File.Exists(local) && File.Exists(Path.ChangeExtension(local, ".runtimeconfig.json"))) return local;
            throw new InvalidOperationException($"onnxtransfer.dll is not beside the tests ({AppContext.BaseDirectory}); build tests/OnnxTransfer.Cli.Tests.");
        }
    }

    public static Process Start(params string[] arguments) => Start(restoreInterrupt: false, arguments);

    /// <summary>
    /// Starts the CLI as a terminal would for a user about to press Ctrl-C: SIGINT at its default disposition. A test
    /// host launched as a background job (`cmd &amp;` in a non-interactive shell, as a CI wrapper may do) inherits SIGINT
    /// ignored, and .NET keeps an inherited-ignored SIGINT ignored, so the signal would never reach the CLI there.
    /// </summary>
    public static Process StartAsFromATerminal(params string[] arguments) => Start(restoreInterrupt: true, arguments);

    private static Process Start(bool restoreInterrupt, string[] arguments)
    {
        var start = new ProcessStartInfo(restoreInterrupt ? "env" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (restoreInterrupt)
        {
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("dotnet");
        }
        start.ArgumentList.Add(CliDll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        _ = SharedData.Root; // the spec finds ../shared (or $ONNXTRANSFER_SHARED) itself; fail early with a clear message
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started");
    }

    /// <summary>Runs to the end and returns the exit code with stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"onnxtransfer {string.Join(' ', arguments)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
