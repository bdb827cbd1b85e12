using System.CommandLine;
using OnnxTransfer.Features.Diagnostics;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Print stack traces of errors.",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(VerboseOption);
    }

    public static bool Verbose(ParseResult parseResult) => parseResult.GetValue(VerboseOption);

    /// <summary>Applies options that configure process-wide state, before the command touches it.</summary>
    public static void Apply(ParseResult parseResult)
    {
        // ONNX Runtime's own log reaches the user through stderr, at the level ONNXTRANSFER_ORT_LOG sets (errors by default).
        EnvironmentChecks.SendRuntimeLogTo(line => Console.Error.WriteLine(line));
    }
}
