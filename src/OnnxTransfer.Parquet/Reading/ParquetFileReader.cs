using System.Buffers.Binary;
using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Reading;
using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet;

/// <summary>
/// An open Parquet file: its footer is read and checked on open (magic, footer length, schema, every column chunk's
/// metadata and byte range), then row groups are read one at a time with <see cref="OpenRowGroup"/>. Row groups may be
/// read concurrently from several threads (reads are positional).
/// </summary>
public sealed class ParquetFileReader : IDisposable
{
    internal static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private readonly FileSource _file;
    private readonly FileMetaData _metadata;
    private readonly long _dataEnd;

    private ParquetFileReader(FileSource file, FileMetaData metadata, ParquetSchema schema, long dataEnd, ParquetReaderOptions options)
    {
        _file = file;
        _metadata = metadata;
        _dataEnd = dataEnd;
        Schema = schema;
        Options = options;
    }

    /// <summary>Opens and checks <paramref name="path"/>; a file that is not valid Parquet throws <see cref="ParquetFormatException"/>.</summary>
    public static ParquetFileReader Open(string path, ParquetReaderOptions? options = null)
    {
        options ??= ParquetReaderOptions.Default;
        if (options.VerifyFileChecksums && FileChecksum.Verify(path) is { Status: FileChecksumStatus.Mismatch } check)
            throw new ParquetFormatException(path, null, null, check.Describe(path));
        var file = new FileSource(path);
        try
        {
            var (metadata, dataEnd) = ReadFooter(file);
            ParquetSchema schema;
            try
            {
                schema = ParquetSchema.FromFile(metadata.Schema);
                Validate(metadata, schema, dataEnd);
            }
            catch (CorruptDataException e)
            {
                throw new ParquetFormatException(path, null, null, e.Message, e);
            }
            return new ParquetFileReader(file, metadata, schema, dataEnd, options);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public string Path => _file.Path;

    public long FileLength => _file.Length;

    public ParquetSchema Schema { get; }

    public ParquetReaderOptions Options { get; }

    public long RowCount => _metadata.NumRows;

    public int RowGroupCount => _metadata.RowGroups.Count;

    /// <summary>The file's key-value metadata, in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> KeyValueMetadata => _metadata.KeyValueMetadata ?? [];

    /// <summary>The value for <paramref name="key"/> in the key-value metadata (the last one if it repeats), or null.</summary>
    public string? GetMetadata(string key)
    {
        string? found = null;
        foreach (var (k, v) in KeyValueMetadata)
            if (k == key) found = v;
        return found;
    }

    public string? CreatedBy => _metadata.CreatedBy;

    public int FormatVersion => _metadata.Version;

    internal FileMetaData Metadata => _metadata;

    public int RowGroupRowCount(int index) => (int)_metadata.RowGroups[CheckIndex(index)].NumRows;

    /// <summary>A reader for row group <paramref name="index"/>; it reads columns on demand.</summary>
    public ParquetRowGroupReader OpenRowGroup(int index) => new(this, CheckIndex(index), _metadata.RowGroups[index]);

    /// <summary>The row groups in order.</summary>
    public IEnumerable<ParquetRowGroupReader> RowGroups()
    {
        for (var i = 0; i < RowGroupCount; i++) yield return OpenRowGroup(i);
    }

    /// <summary>
    /// Reads every column of every row group — every page decompressed and decoded, every page CRC checked — and
    /// returns the row count: the whole-file check of <c>cache verify</c> and <c>score verify</c>.
    /// </summary>
    /// <exception cref="ParquetFormatException">A page is damaged.</exception>
    public long ReadEveryValue()
    {
        long rows = 0;
        foreach (var group in RowGroups())
        {
            foreach (var column in Schema.Fields) group.ReadColumn(column.Name);
            rows += group.RowCount;
        }
        return rows;
    }

    /// <summary>The footer as a description model (schema tree, row groups, codecs, encodings, statistics, metadata).</summary>
    public ParquetFileDescription Describe() => ParquetDescriber.Describe(this);

    internal ColumnChunkReader OpenChunk(ColumnMetaData meta, ColumnDescriptor column) => new(_file, column, meta, _dataEnd, Options);

    internal ParquetFormatException Error(int? rowGroup, string? column, Exception inner) =>
        new(Path, rowGroup, column, inner.Message, inner);

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)RowGroupCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"Row group {index} does not exist; '{Path}' has {RowGroupCount}.");
        return index;
    }

    private static (FileMetaData Metadata, long DataEnd) ReadFooter(FileSource file)
    {
        if (file.Length < 12)
            throw new ParquetFormatException(file.Path, null, null, $"the file is {file.Length} bytes, too short to be Parquet (magic, footer, magic)");
        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        try
        {
            file.ReadExactly(0, head);
            file.ReadExactly(file.Length - 8, tail);
        }
        catch (CorruptDataException e)
        {
            throw new ParquetFormatException(file.Path, null, null, e.Message, e);
        }
        if (tail[4..].SequenceEqual("PARE"u8))
            throw new ParquetFormatException(file.Path, null, null, "the file uses Parquet modular encryption (encrypted footer), which is not supported");
        if (!head.SequenceEqual(Magic) || !tail[4..].SequenceEqual(Magic))
            throw new ParquetFormatException(file.Path, null, null, "the file does not start and end with the Parquet magic 'PAR1'; it is not a Parquet file or it is truncated");
        var footerLength = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (footerLength == 0 || footerLength > file.Length - 12)
            throw new ParquetFormatException(file.Path, null, null, $"the footer length {footerLength} does not fit in a {file.Length}-byte file");
        var footerStart = file.Length - 8 - footerLength;
        var footer = new byte[footerLength];
        try
        {
            file.ReadExactly(footerStart, footer);
            var metadata = FileMetaData.Read(footer);
            if (metadata.HasEncryptionAlgorithm)
                throw new CorruptDataException("the file uses Parquet modular encryption, which is not supported");
            return (metadata, footerStart);
        }
        catch (CorruptDataException e)
        {
            throw new ParquetFormatException(file.Path, null, null, "footer: " + e.Message, e);
        }
    }

    /// <summary>Checks the footer's counts and every column chunk's metadata against the schema and the file's bounds.</summary>
    private static void Validate(FileMetaData metadata, ParquetSchema schema, long dataEnd)
    {
        if (metadata.NumRows < 0) throw new CorruptDataException($"the footer declares {metadata.NumRows} rows");
        var columns = schema.Columns;
        long rows = 0;
        for (var g = 0; g < metadata.RowGroups.Count; g++)
        {
            var group = metadata.RowGroups[g];
            if (group.NumRows is < 0 or > int.MaxValue) throw new CorruptDataException($"row group {g} declares {group.NumRows} rows");
            rows += group.NumRows;
            if (group.Columns.Count != columns.Count)
                throw new CorruptDataException($"row group {g} has {group.Columns.Count} column chunks for {columns.Count} leaf columns");
            for (var c = 0; c < columns.Count; c++)
            {
                var chunk = group.Columns[c];
                var column = columns[c];
                var where = $"row group {g}, column '{column.DottedPath}'";
                if (chunk.IsEncrypted) throw new CorruptDataException($"{where}: encrypted column chunks are not supported");
                if (chunk.FilePath is not null) throw new CorruptDataException($"{where}: the chunk lives in another file ('{chunk.FilePath}'), which is not supported");
                var meta = chunk.MetaData ?? throw new CorruptDataException($"{where}: the column chunk has no metadata");
                if (meta.Type != column.PhysicalType)
                    throw new CorruptDataException($"{where}: the chunk's type {meta.Type} differs from the schema's {column.PhysicalType}");
                if (!meta.PathInSchema.SequenceEqual(column.Path))
                    throw new CorruptDataException($"{where}: the chunk's path '{string.Join('.', meta.PathInSchema)}' differs from the schema's");
                if (meta.NumValues < 0 || meta.TotalCompressedSize < 0 || meta.TotalUncompressedSize < 0)
                    throw new CorruptDataException($"{where}: negative counts or sizes in the column metadata");
                if (meta.DataPageOffset < 4 || meta.DataPageOffset >= dataEnd)
                    throw new CorruptDataException($"{where}: data page offset {meta.DataPageOffset} is outside the file's data (4..{dataEnd})");
                var chunkStart = meta.DictionaryPageOffset is { } dictionary && dictionary > 0 && dictionary < meta.DataPageOffset ? dictionary : meta.DataPageOffset;
                if (meta.TotalCompressedSize > dataEnd - chunkStart)
                    throw new CorruptDataException($"{where}: the chunk's {meta.TotalCompressedSize} bytes from offset {chunkStart} are not inside the file's data (4..{dataEnd})");
                if (column.MaxRepetitionLevel == 0 && meta.NumValues != group.NumRows)
                    throw new CorruptDataException($"{where}: {meta.NumValues} values for {group.NumRows} rows");
            }
        }
        if (rows != metadata.NumRows)
            throw new CorruptDataException($"the footer declares {metadata.NumRows} rows but its row groups hold {rows}");
    }

    public void Dispose() => _file.Dispose();
}
