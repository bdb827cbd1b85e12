namespace OnnxTransfer.Parquet;

/// <summary>
/// A directory of Parquet part files read as one table (or a single file). Parts are the <c>*.parquet</c> files under
/// the directory, in ordinal path order; names starting with '.' or '_' (temporary files, <c>_SUCCESS</c>) are skipped,
/// as Spark and Hive do. Every part must have the same fields; a part that differs is refused up front, naming it.
/// </summary>
public sealed class ParquetDataset
{
    private ParquetDataset(string root, IReadOnlyList<string> files, ParquetSchema schema, long rowCount, ParquetReaderOptions options)
    {
        Root = root;
        Files = files;
        Schema = schema;
        RowCount = rowCount;
        Options = options;
    }

    /// <summary>The directory (or the single file) the dataset was opened from.</summary>
    public string Root { get; }

    public IReadOnlyList<string> Files { get; }

    public ParquetSchema Schema { get; }

    public long RowCount { get; }

    public ParquetReaderOptions Options { get; }

    /// <summary>Opens a file or a directory of part files, reading each part's footer to check that the schemas agree.</summary>
    public static ParquetDataset Open(string fileOrDirectory, ParquetReaderOptions? options = null)
    {
        options ??= ParquetReaderOptions.Default;
        var files = ListParts(fileOrDirectory);
        ParquetSchema? schema = null;
        string? first = null;
        long rows = 0;
        foreach (var file in files)
        {
            using var reader = ParquetFileReader.Open(file, options);
            rows += reader.RowCount;
            if (schema is null)
            {
                schema = reader.Schema;
                first = file;
                continue;
            }
            if (!schema.IsEquivalentTo(reader.Schema))
                throw new ParquetFormatException(file, null, null,
                    $"its columns ({string.Join("; ", reader.Schema.Fields)}) differ from those of '{first}' ({string.Join("; ", schema.Fields)}); " +
                    "a dataset's parts must share one schema");
        }
        return new ParquetDataset(System.IO.Path.GetFullPath(fileOrDirectory), files, schema!, rows, options);
    }

    /// <summary>The part files of a dataset directory (or the file itself), without opening them.</summary>
    public static IReadOnlyList<string> ListParts(string fileOrDirectory)
    {
        if (File.Exists(fileOrDirectory)) return [System.IO.Path.GetFullPath(fileOrDirectory)];
        if (!Directory.Exists(fileOrDirectory)) throw new FileNotFoundException($"No Parquet file or directory at '{fileOrDirectory}'.", fileOrDirectory);
        var root = System.IO.Path.GetFullPath(fileOrDirectory);
        var parts = Directory.EnumerateFiles(root, "*.parquet", SearchOption.AllDirectories)
            .Where(path => !System.IO.Path.GetRelativePath(root, path)
                .Split(System.IO.Path.DirectorySeparatorChar)
                .Any(segment => segment.StartsWith('.') || segment.StartsWith('_')))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (parts.Count == 0) throw new FileNotFoundException($"The directory '{root}' holds no .parquet part files.", root);
        return parts;
    }

    /// <summary>Opens one part.</summary>
    public ParquetFileReader OpenFile(int index) => ParquetFileReader.Open(Files[index], Options);

    /// <summary>
    /// Streams every row group of every part in order, with one part open at a time (bounded memory). Each row group
    /// reader is valid until the enumeration moves past its part.
    /// </summary>
    public IEnumerable<ParquetRowGroupReader> RowGroups()
    {
        for (var i = 0; i < Files.Count; i++)
        {
            using var reader = OpenFile(i);
            if (!Schema.IsEquivalentTo(reader.Schema))
                throw new ParquetFormatException(reader.Path, null, null, "its columns changed since the dataset was opened");
            for (var g = 0; g < reader.RowGroupCount; g++) yield return reader.OpenRowGroup(g);
        }
    }
}
