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
    public static IEnumerable<TextRecord> Read(string path, TextInputOptions options) =>
        LineRecordReader.Read(path, (json, line, lineId) => IsBlank(json) ? null : Parse(json, options, path, line, lineId));

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
            var id = JsonScalar.Field(root, options.IdField) ?? lineId;
            var label = JsonScalar.Field(root, options.LabelField);
            var split = JsonScalar.Field(root, options.SplitField);
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

    private static bool IsBlank(string line) => line.AsSpan().TrimStart(" \t").IsEmpty;
}
