using System.CommandLine;
using System.Text.Json;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Diagnostics;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer parquet schema|cat FILE|DIR</c>: look inside caches and score outputs without other tools.
/// A directory is read as one dataset of its part files.
/// </summary>
public static class ParquetCommand
{
    public static Command Create()
    {
        var command = new Command("parquet", "Look inside Parquet files or folders of parts (caches, scores).");
        command.Subcommands.Add(CreateSchema());
        command.Subcommands.Add(CreateCat());
        return command;
    }

    private static Command CreateSchema()
    {
        var path = new Argument<string>("path") { Description = "A .parquet file or a folder of parts." };
        var command = new Command("schema", "Show the schema, row groups, codecs, encodings, statistics and key-value metadata.") { path };
        command.SetHandler((parseResult, _) =>
        {
            Console.Write(ParquetInspection.DescribeSchema(parseResult.GetValue(path)!));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateCat()
    {
        var path = new Argument<string>("path") { Description = "A .parquet file or a folder of parts." };
        var columns = new Option<string?>("--columns") { Description = "Comma-separated columns to print (default: all)." };
        var head = new Option<long?>("--head") { Description = "Print at most this many rows." };
        var command = new Command("cat", "Print rows as JSON lines (floats print so that they read back to the same float32).") { path, columns, head };
        command.SetHandler((parseResult, _) =>
        {
            var projection = parseResult.GetValue(columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            using var stdout = Console.OpenStandardOutput();
            try
            {
                ParquetInspection.WriteRows(parseResult.GetValue(path)!, stdout, projection, parseResult.GetValue(head));
            }
            catch (IOException) when (!Terminal.StdoutIsTerminal)
            {
                // The reader of our output went away (e.g. `| head`): that is how pipes end, not an error.
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
