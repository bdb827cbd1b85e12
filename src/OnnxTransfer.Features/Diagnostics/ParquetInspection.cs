using OnnxTransfer.Parquet;

namespace OnnxTransfer.Features.Diagnostics;

/// <summary>
/// A look inside caches and score outputs without other tools: a .parquet file or a folder of parts read as one
/// dataset.
/// </summary>
public static class ParquetInspection
{
    /// <summary>The schema, row groups, codecs, encodings, statistics and key-value metadata, as text.</summary>
    public static string DescribeSchema(string path) => ParquetDescriber.Describe(path).ToText();

    /// <summary>Rows as JSON lines (floats print so that they read back to the same float32), optionally some columns and the first rows.</summary>
    public static void WriteRows(string path, Stream output, IReadOnlyList<string>? columns, long? head) =>
        ParquetJsonRows.Write(path, output, columns, head);
}
