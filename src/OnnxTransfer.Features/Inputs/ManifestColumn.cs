using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Features.Inputs;

/// <summary>
/// The values of one column of a CSV/TSV manifest, by row id, for <c>audit --slice-by COLUMN --manifest FILE</c>. Rows
/// are joined to the cache by the manifest's <c>id</c> column, else by its <c>path</c> column as written — exactly the
/// id <c>extract</c> gave each input of that manifest (an ImageFolder cache's ids are paths relative to the folder,
/// e.g. <c>train/ants/0013.jpg</c>). A malformed row is skipped and said in <paramref name="warnings"/>, never a crash.
/// </summary>
public static class ManifestColumn
{
    /// <exception cref="InputSourceException">The file is missing, has no header, no id/path column or undecodable bytes.</exception>
    /// <exception cref="OnnxTransferException">(usage) Not a .csv/.tsv file, or no such column.</exception>
    public static Dictionary<string, string?> Read(string manifest, string column, ICollection<string> warnings)
    {
        if (!File.Exists(manifest)) throw new InputSourceException($"--manifest: '{manifest}' does not exist.");
        byte delimiter = Path.GetExtension(manifest).ToLowerInvariant() switch
        {
            ".csv" => (byte)',',
            ".tsv" or ".tab" => (byte)'\t',
            var other => throw new OnnxTransferException($"--manifest: '{manifest}' is not a .csv or .tsv file (extension '{other}'); the slice column is read from a CSV/TSV with a header.", ErrorCategory.InvalidUsage),
        };
        using var parser = new DelimitedParser(manifest, delimiter);
        if (!parser.Next(out _, out var headerError) || headerError is not null)
            throw new InputSourceException($"--manifest: '{manifest}' has no header line naming its columns.");
        var header = Fields(parser, manifest, 1);
        int Find(string name) => Array.FindIndex(header, h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
        int key = Find("id") is >= 0 and var id ? id : Find("path");
        int value = Find(column);
        if (key < 0) throw new InputSourceException($"--manifest: '{manifest}' has neither an 'id' nor a 'path' column to join its rows to the cache (its columns: {string.Join(", ", header)}).");
        if (value < 0) throw new OnnxTransferException($"--slice-by: '{manifest}' has no column '{column}' (its columns: {string.Join(", ", header)}).", ErrorCategory.InvalidUsage);

        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        while (parser.Next(out var line, out var error))
        {
            if (parser.FieldCount == 1 && parser.Field(0).IsEmpty && error is null) continue;
            // A malformed row is skipped (its row reads as '(missing)' in the slices), never a crash: say which.
            if (error is not null || parser.FieldCount != header.Length)
            {
                warnings.Add($"{Path.GetFileName(manifest)}:{line}: {error ?? "wrong number of fields"}; the row is not used for slices.");
                continue;
            }
            var fields = Fields(parser, manifest, line);
            if (fields[key].Length > 0) values.TryAdd(fields[key], fields[value].Length > 0 ? fields[value] : null);
        }
        return values;
    }

    private static string[] Fields(DelimitedParser parser, string manifest, long line)
    {
        var fields = new string[parser.FieldCount];
        for (int i = 0; i < fields.Length; i++)
            fields[i] = Utf8Text.TryDecode(parser.Field(i), out var invalidAt)
                ?? throw new InputSourceException($"--manifest: {Path.GetFileName(manifest)}:{line}: {Utf8Text.InvalidReason(invalidAt, $"column {i + 1}")}.");
        return fields;
    }
}
