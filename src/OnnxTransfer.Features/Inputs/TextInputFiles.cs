using System.Globalization;
using OnnxTransfer.Parquet;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Features.Inputs;

/// <summary>
/// Reads a file of texts as the inputs of a text extraction or scoring run: TXT (one text per line, optionally
/// <c>LABEL text</c>), CSV/TSV and JSONL through <see cref="TextInputReader"/>, and Parquet (a string column
/// <c>text</c> with optional <c>label</c>, <c>split</c>, <c>id</c>) here, where the Parquet library is. Ids are the
/// input's id column/field, else the line number (the row number for Parquet), so they stay the same from run to run
/// and a rerun continues. A bad row (empty text, invalid UTF-8, malformed record) becomes an input that fails with its
/// reason code and becomes an error row; a file that cannot be read at all is refused with an
/// <see cref="InputSourceException"/>.
/// </summary>
public static class TextInputFiles
{
    /// <summary>Reads <paramref name="path"/> (format from the extension, or <see cref="TextInputOptions.Format"/>; .parquet for Parquet).</summary>
    public static InputSet Open(string path, TextInputOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new TextInputOptions();
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new InputSourceException($"'{full}' is a folder; texts come from one file (.txt, .csv, .tsv, .jsonl or .parquet).");
        if (!File.Exists(full)) throw new InputSourceException($"Text file '{full}' does not exist: check the path.");
        List<InputItem> items;
        try
        {
            items = Path.GetExtension(full).Equals(".parquet", StringComparison.OrdinalIgnoreCase) && options.Format == TextInputFormat.Auto
                ? ReadParquet(full, options)
                : [.. TextInputReader.Read(full, options).Select(record => ToItem(record, full))];
        }
        catch (TextInputException e)
        {
            throw new InputSourceException(e.Message);
        }
        if (items.Count == 0) throw new InputSourceException($"'{full}' holds no texts.");
        return InputSet.Create(full, FolderLayout.TextFile, items, 0);
    }

    /// <summary>Reads <paramref name="path"/> with the default fields, naming the text field and whether TXT lines start with their label.</summary>
    public static InputSet Open(string path, bool labelPrefix, string textField) =>
        Open(path, new TextInputOptions { LabelPrefix = labelPrefix, TextField = textField });

    private static InputItem ToItem(TextRecord record, string path)
    {
        var source = $"{path}:{record.Line.ToString(CultureInfo.InvariantCulture)}";
        if (record.IsError)
            return new InputItem(record.Id, source, record.Label, record.Split,
                new InputFailure(record.ErrorCode ?? TextErrorCodes.BadRecord, $"{Path.GetFileName(path)}:{record.Line}: {record.Error}"));
        return new InputItem(record.Id, source, record.Label, record.Split, Text: record.Text);
    }

    private static List<InputItem> ReadParquet(string path, TextInputOptions options)
    {
        ParquetDataset dataset;
        try { dataset = ParquetDataset.Open(path); }
        catch (ParquetFormatException e) { throw new InputSourceException($"'{path}' is not a readable Parquet file: {e.Message}"); }
        if (!dataset.Schema.Contains(options.TextField))
            throw new InputSourceException(
                $"'{path}' has no \"{options.TextField}\" column (its columns: {string.Join(", ", dataset.Schema.Fields.Select(f => f.Name))}). Name the text column.");
        var items = new List<InputItem>();
        long row = 0;
        try
        {
            foreach (var group in dataset.RowGroups())
            {
                var texts = group.ReadStrings(options.TextField);
                var labels = Optional(group, options.LabelField);
                var splits = Optional(group, options.SplitField);
                var ids = Optional(group, options.IdField);
                for (var i = 0; i < texts.Length; i++)
                {
                    row++;
                    var number = row.ToString(CultureInfo.InvariantCulture);
                    var id = string.IsNullOrEmpty(ids?[i]) ? number : ids[i]!;
                    var source = $"{path} row {number}";
                    var (label, split, text) = (Empty(labels?[i]), Empty(splits?[i]), texts[i]);
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        var message = text is null ? "the text is null" : text.Length == 0 ? "empty text" : "the text is only whitespace";
                        items.Add(new InputItem(id, source, label, split, new InputFailure(TextErrorCodes.EmptyText, $"{Path.GetFileName(path)} row {number}: {message}")));
                        continue;
                    }
                    if (text.Length > options.MaxTextLength)
                    {
                        if (options.OverLength == Text.Encoder.OverLengthPolicy.Refuse)
                        {
                            items.Add(new InputItem(id, source, label, split, new InputFailure(TextErrorCodes.TooLong,
                                $"{Path.GetFileName(path)} row {number}: the text is longer than {options.MaxTextLength} characters")));
                            continue;
                        }
                        text = text[..(char.IsHighSurrogate(text[options.MaxTextLength - 1]) ? options.MaxTextLength - 1 : options.MaxTextLength)];
                    }
                    items.Add(new InputItem(id, source, label, split, Text: text));
                }
            }
        }
        catch (Exception e) when (e is ParquetFormatException or InvalidOperationException)
        {
            throw new InputSourceException($"'{path}' cannot be read as texts: {e.Message}");
        }
        return items;
    }

    /// <summary>A column as text (numbers too, e.g. an integer label); null when absent.</summary>
    private static string?[]? Optional(ParquetRowGroupReader group, string? column)
    {
        if (column is null || !group.Schema.Contains(column)) return null;
        var data = group.ReadColumn(column);
        var values = new string?[group.RowCount];
        for (var i = 0; i < values.Length; i++)
            values[i] = data.IsValueNull(i) ? null : Convert.ToString(data.Values.GetValue(i), CultureInfo.InvariantCulture);
        return values;
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
