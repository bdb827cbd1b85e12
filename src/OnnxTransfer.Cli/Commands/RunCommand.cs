using System.CommandLine;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Models;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer run MODEL --input x.npy --out y.npy [--output NAME]</c>: runs any model on NumPy files. NAME may be
/// an intermediate tensor (e.g. a backbone's feature tensor): it is exposed as an extra output for this run.
/// </summary>
public static class RunCommand
{
    private static readonly Argument<string> Model = new("model") { Description = "The .onnx file." };

    private static readonly Option<string[]> Inputs = new("--input")
    {
        Description = "Input .npy file; NAME=FILE for a model with several inputs (repeat the option).",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<string?> OutputName = new("--output")
    {
        Description = "Tensor to write (default: the model's first output). May name an intermediate tensor.",
    };

    private static readonly Option<string> Out = new("--out") { Description = "Where to write the .npy result.", Required = true };

    private static readonly DeviceOptions Device = new();

    public static Command Create()
    {
        var command = new Command("run", "Run a model on .npy inputs and write one output as .npy.") { Model, Inputs, OutputName, Out };
        Device.AddTo(command, batches: false);
        command.SetHandler(Execute);
        return command;
    }

    private static int Execute(ParseResult parseResult, CancellationToken token)
    {
        var written = NpyModelRun.Run(parseResult.GetValue(Model)!, ParseInputs(parseResult.GetValue(Inputs)!), parseResult.GetValue(OutputName),
            parseResult.GetValue(Out)!, Device.ToRunOptions(parseResult), token);
        Console.Error.WriteLine($"{written.OutputName}: {written.ElementType} {written.Shape} -> {parseResult.GetValue(Out)}");
        return ExitCodes.Success;
    }

    private static List<(string? Name, string File)> ParseInputs(string[] specs)
    {
        var inputs = new List<(string?, string)>();
        foreach (var spec in specs)
        {
            var equals = spec.IndexOf('=');
            // A path may itself contain '='; only treat the prefix as a name when the file exists without it.
            if (equals > 0 && !File.Exists(spec)) inputs.Add((spec[..equals], spec[(equals + 1)..]));
            else inputs.Add((null, spec));
        }
        if (inputs.Count(i => i.Item1 is null) > 1)
            throw new CliException("Several --input files without names: use --input NAME=FILE.npy for each.", ExitCodes.Usage);
        return inputs;
    }
}
