using System.CommandLine;
using System.CommandLine.Help;
using OnnxTransfer.Cli.Commands;
using OnnxTransfer.Cli.Infrastructure;

namespace OnnxTransfer.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var parseResult = BuildRoot().Parse(args);
        return parseResult.Errors.Count > 0 && parseResult.Action is not HelpAction
            ? UsageErrors.Report(parseResult)
            : parseResult.Invoke();
    }

    /// <summary>The whole command tree; each command lives in its own file under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "onnxtransfer: transfer learning with frozen ONNX backbones. Extract embeddings once into a Parquet cache, " +
            "train heads on it in seconds, compose backbone and head into one model, and score images or text in batch.");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(BackboneCommand.Create());
        root.Subcommands.Add(ExtractCommand.Create());
        root.Subcommands.Add(CacheCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(SuggestCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ComposeCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ScoreCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ParquetCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(FetchDemoDataCommand.Create());
        return root;
    }
}
