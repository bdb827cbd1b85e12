namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>An error the CLI reports as one line (no stack trace) with the given exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.InputError) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
