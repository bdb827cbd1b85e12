using Microsoft.ML.OnnxRuntime;
using System.Buffers;
using System.CommandLine;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;

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
        Device.AddTo(command);
        command.SetHandler(Execute);
        return command;
    }

    private static int Execute(ParseResult parseResult, CancellationToken token)
    {
        var modelPath = parseResult.GetValue(Model)!;
        var wanted = parseResult.GetValue(OutputName);
        var inputs = ParseInputs(parseResult.GetValue(Inputs)!);

        using var session = OpenSession(modelPath, wanted, Device.ToSessionSettings(parseResult));
        var outputName = wanted ?? session.OutputNames[0];

        var names = new string[inputs.Count];
        var arrays = new NpyArray[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var (name, file) = inputs[i];
            names[i] = name ?? (session.InputNames.Count == 1
                ? session.InputNames[0]
                : throw new CliException($"The model has {session.InputNames.Count} inputs ({string.Join(", ", session.InputNames)}); " +
                                         "name each one: --input NAME=FILE.npy", ExitCodes.Usage));
            arrays[i] = NpyFile.Read(file);
        }

        var pins = new MemoryHandle[arrays.Length];
        var values = new OrtValue[arrays.Length];
        try
        {
            for (var i = 0; i < arrays.Length; i++)
            {
                pins[i] = arrays[i].Data.AsMemory().Pin();
                unsafe
                {
                    values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, arrays[i].ElementType, arrays[i].Shape,
                        (nint)pins[i].Pointer, arrays[i].Data.LongLength);
                }
            }
            CheckInputs(session, names, arrays);
            using var result = session.Run(names, values, [outputName], token);
            var output = result[0];
            var info = output.GetTensorTypeAndShape();
            var bytes = output.GetTensorMutableRawData().ToArray();
            NpyFile.Write(parseResult.GetValue(Out)!, new NpyArray(info.ElementDataType, info.Shape, bytes));
            Console.Error.WriteLine($"{outputName}: {info.ElementDataType.DisplayName()} {TensorValues.Format(info.Shape)} -> {parseResult.GetValue(Out)}");
        }
        finally
        {
            foreach (var value in values) value?.Dispose();
            foreach (var pin in pins) pin.Dispose();
        }
        return ExitCodes.Success;
    }

    /// <summary>Refuses an unknown input name or an array of the wrong element type before ONNX Runtime sees it.</summary>
    private static void CheckInputs(ModelSession session, string[] names, NpyArray[] arrays)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (!session.Session.InputMetadata.TryGetValue(names[i], out var declared))
                throw new CliException($"The model has no input named '{names[i]}'. Its inputs are: {string.Join(", ", session.InputNames)}.");
            if (declared.IsTensor && declared.ElementDataType != arrays[i].ElementType)
                throw new CliException($"Input '{names[i]}' must hold {declared.ElementDataType.DisplayName()} elements but the .npy file holds " +
                                       $"{arrays[i].ElementType.DisplayName()}: save it with that dtype.");
        }
    }

    private static ModelSession OpenSession(string modelPath, string? outputName, SessionSettings options)
    {
        if (outputName is null) return ModelSession.Open(modelPath, options);
        var model = OnnxModel.Load(modelPath);
        if (model.Outputs.Any(o => o.Name == outputName)) return ModelSession.Open(modelPath, options);
        if (model.FindTensor(outputName) is null)
            throw new CliException($"'{outputName}' is neither an output nor a tensor of {modelPath}; `onnxtransfer inspect {modelPath}` lists them.");
        model.ExposeOutput(outputName);
        return ModelSession.Open(model.ToBytes(), options);
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
