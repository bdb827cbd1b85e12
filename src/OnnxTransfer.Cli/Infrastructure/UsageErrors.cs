using System.CommandLine;
using System.CommandLine.Parsing;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>
/// A command line that does not parse (unknown option, missing argument, invalid value): the errors and one pointer to
/// the help on stderr, exit 1, nothing on stdout. System.CommandLine's default prints the whole help to stdout, which
/// buried the one line that mattered in job logs and mixed usage text into piped output.
/// </summary>
internal static class UsageErrors
{
    public static int Report(ParseResult parseResult)
    {
        foreach (var error in parseResult.Errors) Console.Error.WriteLine($"error: {error.Message}");
        Console.Error.WriteLine($"Run '{CommandLine(parseResult)} --help' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary>"onnxtransfer", or "onnxtransfer cache verify" for the command that was being parsed.</summary>
    private static string CommandLine(ParseResult parseResult)
    {
        var names = new List<string>();
        for (SymbolResult? result = parseResult.CommandResult; result is not null; result = result.Parent)
            if (result is CommandResult { Command: not RootCommand } command) names.Insert(0, command.Command.Name);
        names.Insert(0, "onnxtransfer");
        return string.Join(' ', names);
    }
}
