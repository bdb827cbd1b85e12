using OnnxTransfer.Formats;
using OnnxTransfer.Parquet;

namespace OnnxTransfer.Features.Cache;

/// <summary>Writes one <c>_errors/</c> part (one row group; error parts are small) atomically.</summary>
internal static class ErrorPartWriter
{
    public static void Write(string path, IReadOnlyList<ErrorRow> rows, IEnumerable<KeyValuePair<string, string>> metadata, ParquetWriterOptions options)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new ParquetFileWriter(path, CacheLayout.ErrorSchema, options, metadata);
        var n = rows.Count;
        string?[] ids = new string?[n], sources = new string?[n], labels = new string?[n], splits = new string?[n],
            reasons = new string?[n], messages = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var row = rows[i];
            (ids[i], sources[i], labels[i], splits[i], reasons[i], messages[i]) = (row.Id, row.Source, row.Label, row.Split, row.Reason, row.Message);
        }
        if (n > 0)
        {
            var group = writer.BeginRowGroup(n);
            group.WriteStrings(CacheLayout.IdColumn, ids);
            group.WriteStrings(CacheLayout.SourceColumn, sources);
            group.WriteStrings(CacheLayout.LabelColumn, labels);
            group.WriteStrings(CacheLayout.SplitColumn, splits);
            group.WriteStrings(CacheLayout.ReasonColumn, reasons);
            group.WriteStrings(CacheLayout.MessageColumn, messages);
            group.Complete();
        }
        writer.Complete();
    }
}
