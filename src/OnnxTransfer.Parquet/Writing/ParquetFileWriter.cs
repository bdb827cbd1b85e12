using System.Buffers.Binary;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Thrift;
using OnnxTransfer.Parquet.Writing;

namespace OnnxTransfer.Parquet;

/// <summary>
/// Writes a Parquet file one row group at a time. The data goes to a hidden temporary file beside the target
/// (<c>.NAME.GUID.tmp</c>); <see cref="Complete"/> writes the footer, flushes to disk and renames it to the final name, so a
/// crash never leaves a half-written file under that name. Disposing without completing deletes the temporary file.
/// </summary>
/// <example><code>
/// using var writer = new ParquetFileWriter(path, schema, options);
/// var group = writer.BeginRowGroup(ids.Length);
/// group.WriteStrings("id", ids);
/// group.WriteFixedSizeList&lt;float&gt;("embedding", embeddings, dim);
/// group.Complete();
/// writer.Complete();
/// </code></example>
public sealed class ParquetFileWriter : IDisposable
{
    private readonly string _temporaryPath;
    private readonly FileStream _stream;
    private readonly List<RowGroup> _rowGroups = [];
    private readonly List<KeyValuePair<string, string?>> _keyValueMetadata = [];
    private ParquetRowGroupWriter? _openRowGroup;
    private bool _completed;
    private bool _faulted;

    public ParquetFileWriter(string path, ParquetSchema schema, ParquetWriterOptions? options = null,
        IEnumerable<KeyValuePair<string, string>>? keyValueMetadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(schema);
        Options = options ?? ParquetWriterOptions.Default;
        Options.Validate();
        if (schema.UnsupportedFields.Count > 0)
            throw new ArgumentException($"The schema has fields this library cannot write: {string.Join(", ", schema.UnsupportedFields.Select(f => f.Key))}.");
        Path = System.IO.Path.GetFullPath(path);
        Schema = schema;
        if (keyValueMetadata is not null)
            foreach (var (key, value) in keyValueMetadata) SetMetadata(key, value);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        _temporaryPath = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        _stream = new FileStream(_temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        _stream.Write(ParquetFileReader.Magic);
        ChunkWriter = new ColumnChunkWriter(Options, _stream);
    }

    /// <summary>The final path the file gets on <see cref="Complete"/>.</summary>
    public string Path { get; }

    public ParquetSchema Schema { get; }

    public ParquetWriterOptions Options { get; }

    /// <summary>Rows in the row groups completed so far.</summary>
    public long RowCount { get; private set; }

    public int RowGroupCount => _rowGroups.Count;

    internal ColumnChunkWriter ChunkWriter { get; }

    internal Stream Stream => _stream;

    /// <summary>Sets a key-value metadata entry (replacing an earlier one with the same key); written by <see cref="Complete"/>.</summary>
    public void SetMetadata(string key, string? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _keyValueMetadata.RemoveAll(entry => entry.Key == key);
        _keyValueMetadata.Add(new KeyValuePair<string, string?>(key, value));
    }

    /// <summary>Starts a row group of <paramref name="rowCount"/> rows; write every column, then call its Complete.</summary>
    public ParquetRowGroupWriter BeginRowGroup(int rowCount)
    {
        EnsureWritable();
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (_openRowGroup is not null) throw new InvalidOperationException("The previous row group was not completed.");
        return _openRowGroup = new ParquetRowGroupWriter(this, _rowGroups.Count, rowCount);
    }

    /// <summary>
    /// Writes whole columns (one <see cref="ParquetColumnData"/> per schema field, equal row counts), split into row groups of
    /// <see cref="ParquetWriterOptions.RowGroupSize"/> rows.
    /// </summary>
    public void Write(IReadOnlyList<ParquetColumnData> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count != Schema.Fields.Count)
            throw new ArgumentException($"{columns.Count} columns given for a schema of {Schema.Fields.Count} fields.");
        var rows = columns[0].RowCount;
        foreach (var column in columns)
            if (column.RowCount != rows) throw new ArgumentException($"Column '{column.Field.Name}' has {column.RowCount} rows, '{columns[0].Field.Name}' has {rows}.");
        // No rows, no row group: a file of zero row groups is how other writers store an empty table.
        for (var start = 0; start < rows; start += Options.RowGroupSize)
        {
            var count = Math.Min(Options.RowGroupSize, rows - start);
            var group = BeginRowGroup(count);
            foreach (var column in columns) group.WriteColumn(column, start, count);
            group.Complete();
        }
    }

    /// <summary>Writes the footer, flushes the file to disk and moves it to <see cref="Path"/> (replacing an existing file).</summary>
    public void Complete()
    {
        EnsureWritable();
        if (_openRowGroup is not null) throw new InvalidOperationException("A row group is still open; complete it first.");
        try
        {
            var metadata = new FileMetaData
            {
                Version = 1,
                Schema = Writing.SchemaElements.For(Schema),
                NumRows = RowCount,
                RowGroups = _rowGroups,
                KeyValueMetadata = _keyValueMetadata,
                CreatedBy = Options.CreatedBy,
                ColumnOrderCount = Schema.Columns.Count,
            };
            var footer = new CompactProtocolWriter(4096);
            metadata.Write(footer);
            _stream.Write(footer.Written);
            Span<byte> tail = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(tail, footer.Length);
            ParquetFileReader.Magic.CopyTo(tail[4..]);
            _stream.Write(tail);
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            // The checksum goes in place first: a file under its final name always has one.
            if (Options.WriteFileChecksum) FileChecksum.WriteSidecar(Path, FileChecksum.Compute(_temporaryPath));
            File.Move(_temporaryPath, Path, overwrite: true);
            _completed = true;
        }
        catch
        {
            _faulted = true;
            throw;
        }
    }

    internal void AddRowGroup(RowGroup group, int rowCount)
    {
        _rowGroups.Add(group);
        RowCount += rowCount;
        _openRowGroup = null;
    }

    internal void MarkFaulted() => _faulted = true;

    private void EnsureWritable()
    {
        if (_completed) throw new InvalidOperationException($"'{Path}' is already complete.");
        if (_faulted) throw new InvalidOperationException($"Writing '{Path}' failed earlier; dispose this writer and start again.");
    }

    /// <summary>Abandons an incomplete file (deleting the temporary file); a completed file is left as it is.</summary>
    public void Dispose()
    {
        if (_completed) return;
        // Closing flushes what is buffered, which fails again on a full disk: the file is abandoned, close it anyway
        // and delete it, or the failed run would keep the disk full.
        try { _stream.Dispose(); }
        catch (IOException) { }
        try { File.Delete(_temporaryPath); }
        catch (IOException) { /* best effort: the hidden temporary name never looks like a finished part */ }
        catch (UnauthorizedAccessException) { }
        _completed = true;
    }
}
