using System.Text;

namespace OnnxTransfer.Features.Inputs;

/// <summary>
/// A streaming RFC 4180 reader (CSV or TSV): quoted fields may hold delimiters, doubled quotes and newlines; CRLF or LF
/// line ends; a UTF-8 BOM is skipped. Yields one record (its fields and starting line) at a time.
/// </summary>
internal sealed class DelimitedReader(TextReader reader, char delimiter)
{
    private readonly StringBuilder _field = new();
    private long _line = 1;

    /// <summary>The next record, or null at the end. <paramref name="error"/> is set for an unterminated quote.</summary>
    public List<string>? Next(out long startLine, out string? error)
    {
        error = null;
        startLine = _line;
        var fields = new List<string>();
        var inQuotes = false;
        var quotedField = false;
        _field.Clear();
        int c;
        var sawAny = false;
        while ((c = reader.Read()) >= 0)
        {
            sawAny = true;
            var ch = (char)c;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); _field.Append('"'); }
                    else inQuotes = false;
                }
                else
                {
                    if (ch == '\n') _line++;
                    _field.Append(ch);
                }
                continue;
            }
            if (ch == '"' && _field.Length == 0 && !quotedField) { inQuotes = true; quotedField = true; continue; }
            if (ch == delimiter) { fields.Add(_field.ToString()); _field.Clear(); quotedField = false; continue; }
            if (ch == '\r' && reader.Peek() == '\n') continue;
            if (ch == '\n')
            {
                _line++;
                fields.Add(_field.ToString());
                return fields;
            }
            _field.Append(ch);
        }
        if (!sawAny) return null;
        if (inQuotes) error = "a quoted field is not closed before the end of the file";
        fields.Add(_field.ToString());
        return fields;
    }
}
