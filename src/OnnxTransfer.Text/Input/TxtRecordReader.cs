using System.Buffers;
using System.Globalization;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// TXT input: one text per line (LF or CRLF; a UTF-8 BOM is skipped); ids are line numbers. With
/// <see cref="TextInputOptions.LabelPrefix"/>, everything before the first space or tab is the label.
/// </summary>
internal static class TxtRecordReader
{
    public static IEnumerable<TextRecord> Read(string path, TextInputOptions options)
    {
        using var source = new ByteSource(path);
        var buffer = new ArrayBufferWriter<byte>(1024);
        long lineNumber = 0;
        int length;
        while ((length = source.ReadLine(buffer)) >= 0)
        {
            lineNumber++;
            var id = lineNumber.ToString(CultureInfo.InvariantCulture);
            var line = Utf8Text.TryDecode(buffer.WrittenSpan[..length], out var invalidAt);
            if (line is null)
            {
                yield return TextInputReader.Error(path, lineNumber, id, TextErrorCodes.InvalidUtf8, Utf8Text.InvalidReason(invalidAt, "the line"));
                continue;
            }

            string? label = null;
            if (options.LabelPrefix)
            {
                var separator = line.AsSpan().IndexOfAny(' ', '\t');
                if (separator <= 0)
                {
                    yield return TextInputReader.Error(path, lineNumber, id, line.Length == 0 ? TextErrorCodes.EmptyText : TextErrorCodes.BadRecord, line.Length == 0
                        ? "empty line"
                        : "no label: with a label prefix each line must be 'LABEL text' (label, space or tab, text)");
                    continue;
                }
                label = line[..separator];
                line = line[(separator + 1)..];
            }
            yield return TextInputReader.Finish(options, path, lineNumber, id, line, label, null, null);
        }
    }
}
