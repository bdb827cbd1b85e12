using System.Globalization;
using System.Buffers;
using System.Text.Json;
using OnnxTransfer.Parquet;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Features.Inputs;

/// <summary>
/// Reads a manifest of inputs: CSV/TSV with a header, JSONL (one object per line) or Parquet, with a <c>path</c> column
/// and optional <c>label</c>, <c>split</c> and <c>id</c>. Relative paths are taken from the manifest's folder; the id
/// defaults to the path as written. A row that cannot be used (no path, malformed line) becomes an input that fails
/// with <c>bad-manifest-row</c>, a field that is not valid UTF-8 one that fails with <c>invalid-utf8</c> (never a
/// U+FFFD guess: that made a bogus class or a mangled path); a missing file is found when it is decoded (<c>not-found</c>), never a crash.
/// </summary>
public static class ManifestReader
{
    public const string BadRowCode = "bad-manifest-row";
    public const string InvalidUtf8Code = TextErrorCodes.InvalidUtf8;

    public static InputSet Read(string manifest)
    {
        var full = Path.GetFullPath(manifest);
        if (!File.Exists(full)) throw new InputSourceException($"Manifest '{full}' does not exist.");
        var folder = Path.GetDirectoryName(full)!;
        var items = Path.GetExtension(full).ToLowerInvariant() switch
        {
            ".csv" => ReadDelimited(full, folder, (byte)','),
            ".tsv" or ".tab" => ReadDelimited(full, folder, (byte)'\t'),
            ".jsonl" or ".ndjson" => ReadJsonLines(full, folder),
            ".parquet" => ReadParquet(full, folder),
            var other => throw new InputSourceException(
                $"Cannot read '{full}' as a manifest: its extension '{other}' is not .csv, .tsv, .jsonl or .parquet. Rename it, or give a folder of images."),
        };
        if (items.Count == 0) throw new InputSourceException($"Manifest '{full}' lists no inputs.");
        return InputSet.Create(full, FolderLayout.Manifest, items, 0);
    }

    private static List<InputItem> ReadDelimited(string manifest, string folder, byte delimiter)
    {
        using var parser = new DelimitedParser(manifest, delimiter);
        if (!parser.Next(out _, out var headerError) || headerError is not null)
            throw new InputSourceException($"Manifest '{manifest}' has no header line: the first line names the columns (path, and optionally label, split, id).");
        var header = Fields(parser, manifest);
        int Column(string name) => Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        int path = Column("path"), label = Column("label"), split = Column("split"), id = Column("id");
        if (path < 0)
            throw new InputSourceException($"Manifest '{manifest}' has no \"path\" column (its columns: {string.Join(", ", header)}). Name the column of image paths \"path\".");

        var items = new List<InputItem>();
        while (parser.Next(out var line, out var error))
        {
            if (parser.FieldCount == 1 && parser.Field(0).IsEmpty && error is null) continue; // blank line
            var where = $"{Path.GetFileName(manifest)}:{line}";
            if (error is not null || parser.FieldCount != header.Length)
            {
                var reason = error ?? $"the row has {parser.FieldCount} fields but the header has {header.Length}; check its quoting";
                // The fields of a malformed row cannot be trusted (they may be shifted): it is known by its line.
                items.Add(Bad(where, manifest, null, null, $"{where}: {reason}"));
                continue;
            }
            if (InvalidField(parser, header) is { } invalid)
            {
                items.Add(Bad(where, manifest, null, null, $"{where}: {invalid}", InvalidUtf8Code));
                continue;
            }
            var fields = Fields(parser);
            string? Field(int column) => column >= 0 && fields[column].Length > 0 ? fields[column] : null;
            items.Add(Item(folder, manifest, where, Field(path), Field(label), Field(split), Field(id)));
        }
        return items;
    }

    /// <summary>The reason the current record has a field that is not valid UTF-8 (column and byte), or null.</summary>
    private static string? InvalidField(DelimitedParser parser, string[] header)
    {
        for (var i = 0; i < parser.FieldCount; i++)
            if (Utf8Text.TryDecode(parser.Field(i), out var invalidAt) is null)
                return Utf8Text.InvalidReason(invalidAt, $"column '{header[i].Trim()}'");
        return null;
    }

    /// <summary>The current record's fields as text; the header's invalid UTF-8 is refused (its columns could not be named).</summary>
    private static string[] Fields(DelimitedParser parser, string? manifest = null)
    {
        var fields = new string[parser.FieldCount];
        for (var i = 0; i < fields.Length; i++)
            fields[i] = Utf8Text.TryDecode(parser.Field(i), out var invalidAt)
                ?? throw new InputSourceException($"Manifest '{manifest}' header: {Utf8Text.InvalidReason(invalidAt, $"column {i + 1}")}.");
        return fields;
    }

    private static List<InputItem> ReadJsonLines(string manifest, string folder)
    {
        var items = new List<InputItem>();
        using var source = new ByteSource(manifest);
        var buffer = new ArrayBufferWriter<byte>(1024);
        long line = 0;
        int length;
        while ((length = source.ReadLine(buffer)) >= 0)
        {
            line++;
            var where = $"{Path.GetFileName(manifest)}:{line.ToString(CultureInfo.InvariantCulture)}";
            var text = Utf8Text.TryDecode(buffer.WrittenSpan[..length], out var invalidAt);
            if (text is null)
            {
                items.Add(Bad(where, manifest, null, null, $"{where}: {Utf8Text.InvalidReason(invalidAt, "the line")}", InvalidUtf8Code));
                continue;
            }
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    items.Add(Bad(where, manifest, null, null, $"{where}: the line is not a JSON object with a \"path\""));
                    continue;
                }
                items.Add(Item(folder, manifest, where, JsonScalar.Field(root, "path"), JsonScalar.Field(root, "label"), JsonScalar.Field(root, "split"), JsonScalar.Field(root, "id")));
            }
            catch (JsonException e)
            {
                items.Add(Bad(where, manifest, null, null, $"{where}: not valid JSON ({e.Message})"));
            }
        }
        return items;
    }

    private static List<InputItem> ReadParquet(string manifest, string folder)
    {
        ParquetDataset dataset;
        try { dataset = ParquetDataset.Open(manifest); }
        catch (ParquetFormatException e) { throw new InputSourceException($"Manifest '{manifest}' is not a readable Parquet file: {e.Message}"); }
        if (!dataset.Schema.Contains("path"))
            throw new InputSourceException(
                $"Manifest '{manifest}' has no \"path\" column (its columns: {string.Join(", ", dataset.Schema.Fields.Select(f => f.Name))}).");
        var items = new List<InputItem>();
        long row = 0;
        foreach (var group in dataset.RowGroups())
        {
            var paths = group.ReadStrings("path");
            var labels = Optional(group, "label");
            var splits = Optional(group, "split");
            var ids = Optional(group, "id");
            for (var i = 0; i < paths.Length; i++)
            {
                row++;
                var where = $"{Path.GetFileName(manifest)} row {row.ToString(CultureInfo.InvariantCulture)}";
                items.Add(Item(folder, manifest, where, paths[i], labels?[i], splits?[i], ids?[i]));
            }
        }
        return items;
    }

    private static string?[]? Optional(ParquetRowGroupReader group, string column)
    {
        if (!group.Schema.Contains(column)) return null;
        try { return group.ReadStrings(column); }
        catch (Exception e) when (e is ParquetFormatException or InvalidOperationException or ArgumentException)
        {
            // e.g. an integer label column: read it as text.
            var data = group.ReadColumn(column);
            var values = new string?[group.RowCount];
            for (var i = 0; i < values.Length; i++)
                values[i] = data.IsValueNull(i) ? null : Convert.ToString(data.Values.GetValue(i), CultureInfo.InvariantCulture);
            return values;
        }
    }

    private static InputItem Item(string folder, string manifest, string where, string? path, string? label, string? split, string? id)
    {
        if (string.IsNullOrWhiteSpace(path))
            return Bad(id ?? where, manifest, label, split, $"{where}: the row has no path");
        var source = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(folder, path));
        return new InputItem(id ?? path.Replace('\\', '/'), source, Empty(label), Empty(split));
    }

    private static InputItem Bad(string id, string manifest, string? label, string? split, string message, string code = BadRowCode) =>
        new(id, manifest, Empty(label), Empty(split), new InputFailure(code, message));

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
