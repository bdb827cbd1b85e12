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

    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
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
