using System.CommandLine;
using System.Text;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Features.Diagnostics;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer tokenize --tokenizer DIR [--pair] [--max-length N] &lt; lines</c>: one JSON object per input line with
/// ids, type ids, attention mask, tokens and offsets — the same as Hugging Face's tokenizer gives for that folder.
/// </summary>
public static class TokenizeCommand
{
    private static readonly Option<string> Tokenizer = new("--tokenizer")
    {
        Description = "Folder with vocab.txt (and tokenizer.json / tokenizer_config.json when present).",
        Required = true,
    };

    private static readonly Option<bool> Pair = new("--pair") { Description = "Each line is a text pair separated by a tab." };
    private static readonly Option<int?> MaxLength = new("--max-length") { Description = "Truncate (longest first for pairs) to this many tokens." };

    public static Command Create()
    {
        var command = new Command("tokenize", "Tokenize lines from stdin with a BERT WordPiece tokenizer; JSON lines on stdout.")
        {
            Tokenizer, Pair, MaxLength,
        };
        MaxLength.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 2) r.AddError("--max-length must be at least 2."); });
        command.SetHandler((parseResult, token) =>
        {
            using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, throwOnInvalidBytes: true));
            using var stdout = Console.OpenStandardOutput();
            TokenizePreview.Write(parseResult.GetValue(Tokenizer)!, parseResult.GetValue(MaxLength), parseResult.GetValue(Pair), stdin, stdout, token);
            return ExitCodes.Success;
        });
        return command;
    }
}
