using System.Globalization;

namespace OnnxTransfer.Text.Input;

/// <summary>
/// CSV/TSV text input (records by <see cref="DelimitedParser"/>); each needed field is validated as UTF-8 on its own.
/// Blank lines are skipped; a record with the wrong number of fields, an unterminated quote or invalid UTF-8 becomes an
/// error record.
/// </summary>
internal static class DelimitedRecordReader
{
    public static IEnumerable<TextRecord> Read(string path, TextInputOptions options, byte delimiter)
    {
        using var parser = new DelimitedParser(path, delimiter);

        string[] columns;
        if (options.HasHeader)
        {
            if (!parser.Next(out _, out var headerError)) yield break;
            if (headerError is not null) throw new TextInputException($"The header of '{path}' is malformed ({headerError}): fix the first line.");
            columns = new string[parser.FieldCount];
            for (var i = 0; i < columns.Length; i++)
                columns[i] = Utf8Text.TryDecode(parser.Field(i), out _)?.Trim()
                    ?? throw new TextInputException($"The header of '{path}' is not valid UTF-8: re-encode the file as UTF-8.");
        }
        else
        {
            columns = [];
        }

        int Column(string? name, bool required)
        {
            if (name is null) return -1;
            if (!options.HasHeader)
                return int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index
                    : required ? throw new TextInputException($"Without a header, columns are named by number (0, 1, …): '{name}' is not one.") : -1;
            var at = Array.FindIndex(columns, c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
            if (at < 0 && required)
                throw new TextInputException($"'{path}' has no column '{name}' (columns: {string.Join(", ", columns)}): name the text column.");
            return at;
        }

        var textColumn = Column(options.TextField, required: true);
        var labelColumn = Column(options.LabelField, required: false);
        var idColumn = Column(options.IdField, required: false);
        var splitColumn = Column(options.SplitField, required: false);
        var pairColumn = Column(options.PairField, required: options.PairField is not null);

        while (parser.Next(out var line, out var error))
        {
            if (parser.FieldCount == 1 && parser.Field(0).IsEmpty && error is null) continue; // a blank line
            var lineId = line.ToString(CultureInfo.InvariantCulture);
            if (error is not null)
            {
                yield return TextInputReader.Error(path, line, lineId, TextErrorCodes.BadRecord, error);
                continue;
            }
            var expected = options.HasHeader ? columns.Length : Math.Max(textColumn, pairColumn) + 1;
            if (options.HasHeader ? parser.FieldCount != expected : parser.FieldCount < expected)
            {
                yield return TextInputReader.Error(path, line, lineId, TextErrorCodes.BadRecord,
                    $"the record has {parser.FieldCount} fields but {(options.HasHeader ? "the header has" : "the text column needs")} {expected}: check its quoting");
                continue;
            }

            string? failure = null;
            string? Value(int column, string name)
            {
                if (column < 0 || column >= parser.FieldCount || failure is not null) return null;
                var value = Utf8Text.TryDecode(parser.Field(column), out var invalidAt);
                if (value is null) failure = Utf8Text.InvalidReason(invalidAt, $"column '{name}'");
                return value;
            }

            var id = Value(idColumn, options.IdField ?? "");
            var text = Value(textColumn, options.TextField);
            var label = Value(labelColumn, options.LabelField ?? "");
            var split = Value(splitColumn, options.SplitField ?? "");
            var pair = Value(pairColumn, options.PairField ?? "");
            id = string.IsNullOrEmpty(id) ? lineId : id;
            if (failure is not null)
            {
                yield return TextInputReader.Error(path, line, id, TextErrorCodes.InvalidUtf8, failure);
                continue;
            }
            yield return TextInputReader.Finish(options, path, line, id, text!, NullIfEmpty(label), NullIfEmpty(split), pair);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
