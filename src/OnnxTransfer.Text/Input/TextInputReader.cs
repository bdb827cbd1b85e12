using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// Reads text inputs — TXT (one text per line, optionally <c>LABEL text</c>), CSV/TSV (RFC 4180 quoting) and JSONL —
/// as a stream of <see cref="TextRecord"/>s in file order. A bad row (empty text, invalid UTF-8, malformed JSON or CSV
/// record) becomes an error record in its place; a file that cannot be read at all (missing, unknown format, no text
/// column) is refused with a <see cref="TextInputException"/>. Files are streamed, never loaded whole.
/// </summary>
public static class TextInputReader
{
    /// <summary>The records of <paramref name="path"/>. Enumerate once; the file is open while enumerating.</summary>
    public static IEnumerable<TextRecord> Read(string path, TextInputOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new TextInputOptions();
        if (!File.Exists(path))
            throw new TextInputException($"Input file '{path}' does not exist: check the path.");
        if (options.MaxTextLength < 1)
            throw new TextInputException($"MaxTextLength is {options.MaxTextLength}: it must be positive.");
        if (string.IsNullOrEmpty(options.TextField))
            throw new TextInputException("TextField is empty: name the column or field that holds the text.");

        return ResolveFormat(path, options.Format) switch
        {
            TextInputFormat.Txt => TxtRecordReader.Read(path, options),
            TextInputFormat.Csv => DelimitedRecordReader.Read(path, options, (byte)','),
            TextInputFormat.Tsv => DelimitedRecordReader.Read(path, options, (byte)'\t'),
            TextInputFormat.Jsonl => JsonlRecordReader.Read(path, options),
            var other => throw new TextInputException($"Unknown input format {other}."),
        };
    }

    /// <summary>The format <see cref="TextInputFormat.Auto"/> picks for a file name.</summary>
    public static TextInputFormat ResolveFormat(string path, TextInputFormat format = TextInputFormat.Auto)
    {
        if (format != TextInputFormat.Auto) return format;
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".txt" or ".text" => TextInputFormat.Txt,
            ".csv" => TextInputFormat.Csv,
            ".tsv" or ".tab" => TextInputFormat.Tsv,
            ".jsonl" or ".ndjson" => TextInputFormat.Jsonl,
            var extension => throw new TextInputException(
                $"Cannot tell the format of '{path}' from its extension '{extension}': name it .txt, .csv, .tsv or .jsonl, or give the format."),
        };
    }

    /// <summary>A good record, or an error record when the text is empty or too long under <see cref="OverLengthPolicy.Refuse"/>.</summary>
    internal static TextRecord Finish(TextInputOptions options, string source, long line, string id, string text,
        string? label, string? split, string? pair)
    {
        if (string.IsNullOrWhiteSpace(text))
            return Error(source, line, id, TextErrorCodes.EmptyText, text.Length == 0 ? "empty text" : "the text is only whitespace", label, split);
        var truncated = false;
        if (text.Length > options.MaxTextLength || (pair?.Length ?? 0) > options.MaxTextLength)
        {
            if (options.OverLength == OverLengthPolicy.Refuse)
                return Error(source, line, id, TextErrorCodes.TooLong, $"the text is longer than {options.MaxTextLength} characters (MaxTextLength): shorten it or allow truncation", label, split);
            text = Cut(text, options.MaxTextLength);
            if (pair is not null) pair = Cut(pair, options.MaxTextLength);
            truncated = true;
        }
        return new TextRecord(id, text, label, split, source, line, null, truncated, pair);
    }

    internal static TextRecord Error(string source, long line, string id, string code, string reason, string? label = null, string? split = null) =>
        new(id, null, label, split, source, line, reason, ErrorCode: code);

    /// <summary>The first <paramref name="length"/> UTF-16 units, one less if that would split a surrogate pair.</summary>
    private static string Cut(string text, int length)
    {
        if (text.Length <= length) return text;
        if (char.IsHighSurrogate(text[length - 1])) length--;
        return text[..length];
    }
}
