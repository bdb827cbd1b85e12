using System.Buffers;
using System.Globalization;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// The loop of the line formats (TXT, JSONL): lines numbered from 1, each validated as UTF-8 (an invalid one becomes an
/// error record) and handed to the format's parser with its line number as the default id.
/// </summary>
internal static class LineRecordReader
{
    /// <summary>A format's reading of one decoded line; null skips the line.</summary>
    public delegate TextRecord? LineParser(string text, long line, string lineId);

    public static IEnumerable<TextRecord> Read(string path, LineParser parse)
    {
        using var source = new ByteSource(path);
        var buffer = new ArrayBufferWriter<byte>(1024);
        long lineNumber = 0;
        int length;
        while ((length = source.ReadLine(buffer)) >= 0)
        {
            lineNumber++;
            var lineId = lineNumber.ToString(CultureInfo.InvariantCulture);
            var text = Utf8Text.TryDecode(buffer.WrittenSpan[..length], out var invalidAt);
            var record = text is null
                ? TextInputReader.Error(path, lineNumber, lineId, TextErrorCodes.InvalidUtf8, Utf8Text.InvalidReason(invalidAt, "the line"))
                : parse(text, lineNumber, lineId);
            if (record is not null) yield return record;
        }
    }
}
