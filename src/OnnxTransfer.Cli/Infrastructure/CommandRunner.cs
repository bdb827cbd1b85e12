using System.CommandLine;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// Runs a command's body and turns the failures users can fix into one clear line on stderr and a documented exit code.
/// Every command goes through here, so the mapping from exception to exit code lives in one place.
/// </summary>
public static class CommandRunner
{
    public static void SetHandler(this Command command, Func<ParseResult, CancellationToken, int> body) =>
        command.SetAction((parseResult, token) => Task.FromResult(Run(parseResult, token, body)));

    public static int Run(ParseResult parseResult, CancellationToken token, Func<ParseResult, CancellationToken, int> body)
    {
        try
        {
            GlobalOptions.Apply(parseResult);
            return body(parseResult, token);
        }
        catch (Exception e) when (Describe(e) is { } failure)
        {
            Console.Error.WriteLine($"error: {failure.Message}");
            if (GlobalOptions.Verbose(parseResult)) Console.Error.WriteLine(e);
            return failure.ExitCode;
        }
        catch (Exception e)
        {
            // Not a failure we know how to explain: a bug. The trace is what a bug report needs.
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine("This is a bug in onnxtransfer; please report it with the command line and this trace:");
            Console.Error.WriteLine(e);
            return ExitCodes.InputError;
        }
    }

    /// <summary>
    /// Every module's refusals (one type, which already names the file, the setting and the fix) and the BCL's, which
    /// we cannot subclass, as (message, exit code). Anything not listed is a bug and gets the trace. Also used by
    /// <c>RunLog</c>, which logs a run's failure as a JSON line off a terminal.
    /// </summary>
    internal static (string Message, int ExitCode)? Describe(Exception e) => e switch
    {
        CliException cli => (cli.Message, cli.ExitCode),
        // The library cannot know the flag's name; the command line has one.
        OnnxTransferException { Category: ErrorCategory.DeviceUnavailable } device =>
            (device.Message + " On the command line: add --cpu-fallback to run on CPU instead.", ExitCodes.InputError),
        OnnxTransferException user => (user.Message, user.Category == ErrorCategory.InvalidUsage ? ExitCodes.Usage : ExitCodes.InputError),
        OperationCanceledException => ("interrupted; rerun the same command to continue", ExitCodes.Interrupted),
        IOException or UnauthorizedAccessException or FormatException or InvalidDataException => (e.Message, ExitCodes.InputError),
        _ => null,
    };
}
