namespace OnnxTransfer.Parquet;

/// <summary>
/// A Parquet file is corrupt, truncated, hostile or uses a feature this library does not read. The message names the
/// file, and where known the row group and column, and says what is wrong.
/// </summary>
public sealed class ParquetFormatException : OnnxTransferException
{
    public ParquetFormatException(string message) : base(message) { }

    public ParquetFormatException(string message, Exception inner) : base(message, innerException: inner) { }

    internal ParquetFormatException(string? filePath, int? rowGroup, string? column, string problem, Exception? inner = null)
        : base(Compose(filePath, rowGroup, column, problem), innerException: inner)
    {
        FilePath = filePath;
        RowGroup = rowGroup;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file the problem was found in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The row group index, when the problem is inside one.</summary>
    public int? RowGroup { get; }

    /// <summary>The column path (dotted), when the problem is inside one column.</summary>
    public string? Column { get; }

    /// <summary>What is wrong, without the location prefix.</summary>
    public string? Problem { get; }

    private static string Compose(string? filePath, int? rowGroup, string? column, string problem)
    {
        var where = filePath ?? "Parquet data";
        if (rowGroup is not null) where += $", row group {rowGroup}";
        if (column is not null) where += $", column '{column}'";
        return $"{where}: {problem}";
    }
}

/// <summary>
/// Thrown by the decoders, which do not know which file or column they work on; the reader catches it at the column
/// boundary and re-throws it as a <see cref="ParquetFormatException"/> with the location.
/// </summary>
internal class CorruptDataException(string problem) : Exception(problem);

/// <summary>Metadata ended before a value was complete: either a truncated file, or a read window that was too small.</summary>
internal sealed class TruncatedMetadataException(string problem) : CorruptDataException(problem);
