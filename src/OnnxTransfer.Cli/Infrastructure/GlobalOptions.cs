using System.CommandLine;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Cli.Infrastructure;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> OrtLibrary = new("--ort-library")
    {
        Description = $"Path of libonnxruntime.so.1 to use (default: ${Runtime.OrtLibrary.LibraryPathVariable}, then the " +
                      "copy tools/setup.sh installs). Point it at the official GPU build to run on CUDA.",
        Recursive = true,
    };

    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Print stack traces of errors.",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(OrtLibrary);
        root.Options.Add(VerboseOption);
    }

    public static bool Verbose(ParseResult parseResult) => parseResult.GetValue(VerboseOption);

    /// <summary>Applies options that configure process-wide state, before the command touches it.</summary>
    public static void Apply(ParseResult parseResult)
    {
        var library = parseResult.GetValue(OrtLibrary);
        if (!string.IsNullOrEmpty(library)) Runtime.OrtLibrary.UsePath(Path.GetFullPath(library));
    }
}
