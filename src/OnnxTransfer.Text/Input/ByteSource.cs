using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// Buffered reading of a file's bytes, by line or by byte. Text is validated as UTF-8 before it is decoded, so an
/// invalid byte becomes an error record instead of a silent U+FFFD.
/// </summary>
public sealed class ByteSource : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _position;
    private int _length;

    public ByteSource(string path)
    {
        _stream = OpenAsUtf8(path);
        SkipByteOrderMark();
    }

    /// <summary>The next byte, or -1 at the end.</summary>
    public int Read()
    {
        if (_position == _length && !Refill()) return -1;
        return _buffer[_position++];
    }

    /// <summary>The next byte without consuming it, or -1 at the end.</summary>
    public int Peek()
    {
        if (_position == _length && !Refill()) return -1;
        return _buffer[_position];
    }

    /// <summary>
    /// Reads one line into <paramref name="line"/> and returns its length without the <c>\n</c> and a <c>\r</c> before
    /// it (use <c>line.WrittenSpan[..length]</c>); -1 at the end of the file. A final line without newline is still a
    /// line; nothing after the last newline is not.
    /// </summary>
    public int ReadLine(ArrayBufferWriter<byte> line)
    {
        line.ResetWrittenCount();
        var any = false;
        while (true)
        {
            if (_position == _length && !Refill()) break;
            any = true;
            var available = _buffer.AsSpan(_position, _length - _position);
            var newline = available.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line.Write(available[..newline]);
                _position += newline + 1;
                return LengthWithoutCarriageReturn(line);
            }
            line.Write(available);
            _position = _length;
        }
        return any ? LengthWithoutCarriageReturn(line) : -1;
    }

    public void Dispose() => _stream.Dispose();

    private bool Refill()
    {
        _length = _stream.Read(_buffer, 0, _buffer.Length);
        _position = 0;
        return _length > 0;
    }

    /// <summary>
    /// The file's bytes as UTF-8. A file that starts with a UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text",
    /// PowerShell's default) is transcoded as it is read, so every reader sees UTF-8 and a spreadsheet export works as
    /// it did when manifests were read through a StreamReader.
    /// </summary>
    private static Stream OpenAsUtf8(string path)
    {
        Stream file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (!file.CanSeek)
        {
            // A named pipe or /dev/stdin cannot rewind after the byte-order-mark peek: take its bytes once, in memory.
            var copy = new MemoryStream();
            using (file) file.CopyTo(copy);
            copy.Position = 0;
            file = copy;
        }
        Span<byte> mark = stackalloc byte[4];
        var read = file.ReadAtLeast(mark, 4, throwOnEndOfStream: false);
        file.Position = 0;
        Encoding? wide = mark[..read] switch
        {
            [0xFF, 0xFE, 0, 0] => Encoding.UTF32,
            [0, 0, 0xFE, 0xFF] => new UTF32Encoding(bigEndian: true, byteOrderMark: true),
            [0xFF, 0xFE, ..] => Encoding.Unicode,
            [0xFE, 0xFF, ..] => Encoding.BigEndianUnicode,
            _ => null,
        };
        if (wide is null) return file;
        // The transcoder drops nothing: the BOM comes out as a UTF-8 BOM, which SkipByteOrderMark then skips.
        return Encoding.CreateTranscodingStream(file, wide, Encoding.UTF8, leaveOpen: false);
    }

    private void SkipByteOrderMark()
    {
        if (!Refill()) return;
        if (_length >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF) _position = 3;
    }

    private static int LengthWithoutCarriageReturn(ArrayBufferWriter<byte> line)
    {
        var written = line.WrittenSpan;
        return written.Length > 0 && written[^1] == '\r' ? written.Length - 1 : written.Length;
    }
}

/// <summary>UTF-8 validation with the position of the first bad byte.</summary>
public static class Utf8Text
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="bytes"/>, or returns null with the offset of the first invalid byte.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes, out int invalidAt)
    {
        invalidAt = -1;
        if (Utf8.IsValid(bytes)) return Strict.GetString(bytes);
        Span<char> scratch = stackalloc char[256];
        var consumed = 0;
        while (consumed < bytes.Length)
        {
            var status = Utf8.ToUtf16(bytes[consumed..], scratch, out var read, out _, replaceInvalidSequences: false);
            consumed += read;
            if (status == OperationStatus.InvalidData || status == OperationStatus.NeedMoreData)
            {
                invalidAt = consumed;
                return null;
            }
            if (status == OperationStatus.Done) break;
        }
        invalidAt = consumed;
        return null;
    }

    public static string InvalidReason(int invalidAt, string where) =>
        $"invalid UTF-8 at byte {invalidAt} of {where}: re-encode the file as UTF-8 (nothing was replaced)";
}
