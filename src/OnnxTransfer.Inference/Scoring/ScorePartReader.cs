using System.Text;
using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>Reads back what a rerun needs from a finished part: its row count and its error rows.</summary>
internal static class ScorePartReader
{
    public static (int Rows, int Errors, Dictionary<string, int> ByReason) Count(string path, ScoreFormat format)
    {
        var reasons = format == ScoreFormat.Csv ? CsvColumn(path, ScoreLayout.ErrorColumn) : ParquetColumn(path, ScoreLayout.ErrorColumn);
        var byReason = new Dictionary<string, int>(StringComparer.Ordinal);
        var errors = 0;
        foreach (var reason in reasons)
        {
            if (string.IsNullOrEmpty(reason)) continue;
            errors++;
            byReason[reason] = byReason.GetValueOrDefault(reason) + 1;
        }
        return (reasons.Count, errors, byReason);
    }

    private static List<string?> ParquetColumn(string path, string column)
    {
        using var reader = ParquetFileReader.Open(path);
        var values = new List<string?>();
        for (var g = 0; g < reader.RowGroupCount; g++) values.AddRange(reader.OpenRowGroup(g).ReadStrings(column));
        return values;
    }

    /// <summary>One column of an RFC 4180 file with a header (quoted fields may hold commas, quotes and line breaks).</summary>
    internal static List<string?> CsvColumn(string path, string column)
    {
        var records = ReadCsv(File.ReadAllText(path, Encoding.UTF8));
        if (records.Count == 0) throw new InvalidDataException($"'{path}' is empty; delete it and rerun to score its inputs again.");
        var index = records[0].IndexOf(column);
        if (index < 0) throw new InvalidDataException($"'{path}' has no \"{column}\" column; it is not a score part. Delete it or score into another folder.");
        var values = new List<string?>(records.Count - 1);
        for (var r = 1; r < records.Count; r++) values.Add(index < records[r].Count ? records[r][index] : null);
        return values;
    }

    internal static List<List<string>> ReadCsv(string text)
    {
        var records = new List<List<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add(fields);
                    fields = [];
                    break;
                default: field.Append(c); break;
            }
        }
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add(fields);
        }
        return records;
    }
}
