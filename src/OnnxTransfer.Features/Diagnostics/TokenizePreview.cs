using System.Buffers;
using OnnxTransfer.Text;

namespace OnnxTransfer.Features.Diagnostics;

/// <summary>
/// What a text backbone's tokenizer makes of some lines: one JSON object per line with ids, type ids, attention mask,
/// tokens and offsets, the same as Hugging Face's tokenizer gives for that folder.
/// </summary>
public static class TokenizePreview
{
    /// <summary>Tokenizes each line of <paramref name="lines"/> (with <paramref name="pair"/>, two texts split by a tab) into JSON lines on <paramref name="output"/>.</summary>
    public static void Write(string tokenizerFolder, int? maxLength, bool pair, TextReader lines, Stream output, CancellationToken token)
    {
        var tokenizer = BertTokenizer.FromDirectory(tokenizerFolder);
        var options = new EncodeOptions { MaxLength = maxLength };
        var buffer = new ArrayBufferWriter<byte>(4096);
        var lineNumber = 0;
        while (lines.ReadLine() is { } line)
        {
            token.ThrowIfCancellationRequested();
            lineNumber++;
            string text = line, second = null!;
            if (pair)
            {
                var tab = line.IndexOf('\t');
                if (tab < 0) throw new OnnxTransferException($"line {lineNumber}: --pair expects two texts separated by a tab.");
                (text, second) = (line[..tab], line[(tab + 1)..]);
            }
            TokenEncodingJson.WriteLine(buffer, tokenizer.Encode(text, pair ? second : null, options));
            output.Write(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
        }
    }
}
