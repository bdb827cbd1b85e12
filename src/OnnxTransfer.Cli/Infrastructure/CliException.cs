namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>An error the CLI itself finds, reported as one line (no stack trace) with the given exit code.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.InputError)
    : OnnxTransferException(message, exitCode == ExitCodes.Usage ? ErrorCategory.InvalidUsage : ErrorCategory.InvalidInput)
{
    public int ExitCode { get; } = exitCode;
}
