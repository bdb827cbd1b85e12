using System.Buffers;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// CSV/TSV records per RFC 4180, from bytes: fields may be quoted with <c>"</c>, and a quoted field may hold delimiters,
/// newlines and doubled quotes; LF or CRLF line ends; a UTF-8 BOM is skipped. No reflection-based mapping, so it stays
/// NativeAOT-safe. The one reader of delimited files: text inputs and image manifests both read through it.
/// </summary>
public sealed class DelimitedParser(string path, byte delimiter) : IDisposable
{
    private readonly ByteSource _source = new(path);
    private readonly ArrayBufferWriter<byte> _bytes = new(4096);
    private readonly List<(int Start, int Length)> _fields = [];
    private long _line = 1;

    /// <summary>Fields of the current record (1 for a blank line).</summary>
    public int FieldCount => _fields.Count;

    /// <summary>The raw bytes of a field of the current record (quotes removed), valid until the next <see cref="Next"/>.</summary>
    public ReadOnlySpan<byte> Field(int index) => _bytes.WrittenSpan.Slice(_fields[index].Start, _fields[index].Length);

    /// <summary>Reads the next record; false at the end of the file. <paramref name="error"/> is set for a malformed one.</summary>
    public bool Next(out long startLine, out string? error)
    {
        _bytes.ResetWrittenCount();
        _fields.Clear();
        startLine = _line;
        error = null;
        if (_source.Peek() < 0) return false;

        var fieldStart = 0;
        var quoted = false;
        var closedQuote = false;
        while (true)
        {
            var c = _source.Read();
            if (quoted)
            {
                if (c < 0)
                {
                    error ??= $"a quoted field opened on line {startLine} is never closed";
                    break;
                }
                if (c == '"')
                {
                    if (_source.Peek() == '"')
                    {
                        _source.Read();
                        Append((byte)'"');
                    }
                    else
                    {
                        quoted = false;
                        closedQuote = true;
                    }
                    continue;
                }
                if (c == '\n') _line++;
                Append((byte)c);
                continue;
            }

            if (c < 0 || c == '\n')
            {
                if (c == '\n') _line++;
                break;
            }
            if (c == '\r' && _source.Peek() == '\n') continue;
            if (c == delimiter)
            {
                _fields.Add((fieldStart, _bytes.WrittenCount - fieldStart));
                fieldStart = _bytes.WrittenCount;
                closedQuote = false;
                continue;
            }
            if (c == '"' && _bytes.WrittenCount == fieldStart && !closedQuote)
            {
                quoted = true;
                continue;
            }
            if (closedQuote) error ??= "text after a closing quote: quote the whole field and double the quotes inside it";
            Append((byte)c);
        }
        _fields.Add((fieldStart, _bytes.WrittenCount - fieldStart));
        return true;
    }

    private void Append(byte value)
    {
        _bytes.GetSpan(1)[0] = value;
        _bytes.Advance(1);
    }

    public void Dispose() => _source.Dispose();
}
