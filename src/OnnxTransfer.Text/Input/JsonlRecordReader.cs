using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// JSONL input: one JSON object per line with a string <c>text</c> and optional <c>label</c> (string, number or
/// boolean), <c>split</c> and <c>id</c> (string or number). Blank lines are skipped; a line that is not valid UTF-8,
/// not JSON, not an object or without a string text becomes an error record. Parsed with <see cref="JsonDocument"/>,
/// no reflection.
/// </summary>
internal static class JsonlRecordReader
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
            var lineId = lineNumber.ToString(CultureInfo.InvariantCulture);
            if (IsBlank(buffer.WrittenSpan[..length])) continue;
            var json = Utf8Text.TryDecode(buffer.WrittenSpan[..length], out var invalidAt);
            yield return json is null
                ? TextInputReader.Error(path, lineNumber, lineId, TextErrorCodes.InvalidUtf8, Utf8Text.InvalidReason(invalidAt, "the line"))
                : Parse(json, options, path, lineNumber, lineId);
        }
    }

    private static TextRecord Parse(string json, TextInputOptions options, string path, long line, string lineId)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return TextInputReader.Error(path, line, lineId, TextErrorCodes.BadRecord, $"not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return TextInputReader.Error(path, line, lineId, TextErrorCodes.BadRecord, $"the line is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object with a \"{options.TextField}\" field");
            var id = Scalar(root, options.IdField) ?? lineId;
            var label = Scalar(root, options.LabelField);
            var split = Scalar(root, options.SplitField);
            if (!root.TryGetProperty(options.TextField, out var text) || text.ValueKind != JsonValueKind.String)
                return TextInputReader.Error(path, line, id, TextErrorCodes.BadRecord, $"field \"{options.TextField}\" is missing or not a string", label, split);
            string? pair = null;
            if (options.PairField is not null)
            {
                if (!root.TryGetProperty(options.PairField, out var pairValue) || pairValue.ValueKind != JsonValueKind.String)
                    return TextInputReader.Error(path, line, id, TextErrorCodes.BadRecord, $"field \"{options.PairField}\" is missing or not a string", label, split);
                pair = pairValue.GetString();
            }
            return TextInputReader.Finish(options, path, line, id, text.GetString()!, label, split, pair);
        }
    }

    /// <summary>A string, number or boolean field as text; null when absent or null.</summary>
    private static string? Scalar(JsonElement root, string? name)
    {
        if (name is null || !root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
            if (b is not ((byte)' ' or (byte)'\t')) return false;
        return true;
    }
}
