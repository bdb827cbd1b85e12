using System.CommandLine;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference;
using OnnxTransfer.Onnx;
using OnnxTransfer.Parquet;
using OnnxTransfer.Runtime;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Input;
using OnnxTransfer.Text.Tokenization;
using OnnxTransfer.Training.Data;

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
    /// The refusals of every library, which already name the file, the setting and the fix, as (message, exit code).
    /// Anything not listed is a bug and gets the trace.
    /// </summary>
    private static (string Message, int ExitCode)? Describe(Exception e) => e switch
    {
        CliException cli => (cli.Message, cli.ExitCode),
        OperationCanceledException => ("interrupted; rerun the same command to continue", ExitCodes.Interrupted),
        FileNotFoundException f => (f.Message, ExitCodes.InputError),
        DirectoryNotFoundException d => (d.Message, ExitCodes.InputError),
        UnauthorizedAccessException u => (u.Message, ExitCodes.InputError),
        // Runtime and models
        ExecutionProviderUnavailableException ep => (ep.Message + " On the command line: add --cpu-fallback to run on CPU instead.", ExitCodes.InputError),
        RuntimeException r => (r.Message, ExitCodes.InputError),
        Microsoft.ML.OnnxRuntime.OnnxRuntimeException ort => ($"ONNX Runtime: {ort.Message}", ExitCodes.InputError),
        OnnxModelException m => (m.Message, ExitCodes.InputError),
        // Data and specs
        ParquetFormatException p => (p.Message, ExitCodes.InputError),
        VipsException v => (v.Message, ExitCodes.InputError),
        ImageDecodeException i => (i.Message, ExitCodes.InputError),
        BackboneSpecException b => (b.Message, ExitCodes.InputError),
        InputSourceException i => (i.Message, ExitCodes.InputError),
        CacheException c => (c.Message, ExitCodes.InputError),
        TokenizerConfigurationException t => (t.Message, ExitCodes.InputError),
        TextInputException t => (t.Message, ExitCodes.InputError),
        TruncationException t => (t.Message, ExitCodes.InputError),
        TrainingDataException t => (t.Message, ExitCodes.InputError),
        InferenceException i => (i.Message, ExitCodes.InputError),
        FormatException f => (f.Message, ExitCodes.InputError),
        InvalidDataException d => (d.Message, ExitCodes.InputError),
        IOException io => (io.Message, ExitCodes.InputError),
        _ => null,
    };
}
