using OnnxTransfer.Parquet;
using OnnxTransfer.Formats;
using OnnxTransfer.Training.Data;

namespace OnnxTransfer.Training.Audit;

/// <summary>
/// The <c>source</c> of every row by id (the file an input was read from), read from the parts' id and source columns
/// only. The trainer's splits carry ids but not sources; findings name both. Data without a source column maps ids to
/// themselves.
/// </summary>
internal static class RowSources
{
    public static Dictionary<string, string> Read(EmbeddingDataset data)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!data.HasIds) return sources;
        foreach (var part in data.Parts)
        {
            using var reader = ParquetFileReader.Open(part);
            bool hasSource = reader.Schema.Contains(CacheLayout.SourceColumn);
            foreach (var group in reader.RowGroups())
            {
                var ids = group.ReadStrings(data.Columns.Id);
                var paths = hasSource ? group.ReadStrings(CacheLayout.SourceColumn) : ids;
                for (int i = 0; i < ids.Length; i++)
                    if (ids[i] is { } id) sources.TryAdd(id, paths[i] ?? id);
            }
        }
        return sources;
    }
}
