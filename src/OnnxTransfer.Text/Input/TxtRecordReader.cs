namespace OnnxTransfer.Text.Input;

/// <summary>
/// TXT input: one text per line (LF or CRLF; a UTF-8 BOM is skipped); ids are line numbers. With
/// <see cref="TextInputOptions.LabelPrefix"/>, everything before the first space or tab is the label.
/// </summary>
internal static class TxtRecordReader
{
    public static IEnumerable<TextRecord> Read(string path, TextInputOptions options) =>
        LineRecordReader.Read(path, (line, lineNumber, id) =>
        {
            string? label = null;
            if (options.LabelPrefix)
            {
                var separator = line.AsSpan().IndexOfAny(' ', '\t');
                if (separator <= 0)
                    return TextInputReader.Error(path, lineNumber, id, line.Length == 0 ? TextErrorCodes.EmptyText : TextErrorCodes.BadRecord, line.Length == 0
                        ? "empty line"
                        : "no label: with a label prefix each line must be 'LABEL text' (label, space or tab, text)");
                label = line[..separator];
                line = line[(separator + 1)..];
            }
            return TextInputReader.Finish(options, path, lineNumber, id, line, label, null, null);
        });
}
