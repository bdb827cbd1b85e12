using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Reading;
using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet;

/// <summary>
/// One row group of an open file. Each read decodes one column chunk; only the columns asked for are read (projection).
/// Valid while its <see cref="ParquetFileReader"/> is open.
/// </summary>
public sealed class ParquetRowGroupReader
{
    private readonly ParquetFileReader _file;
    private readonly RowGroup _group;

    internal ParquetRowGroupReader(ParquetFileReader file, int index, RowGroup group)
    {
        _file = file;
        _group = group;
        Index = index;
        RowCount = (int)group.NumRows;
    }

    public int Index { get; }

    public int RowCount { get; }

    public ParquetSchema Schema => _file.Schema;

    public string FilePath => _file.Path;

    /// <summary>Reads any supported column (primitive or list, any null pattern) into a <see cref="ParquetColumnData"/>.</summary>
    public ParquetColumnData ReadColumn(string name)
    {
        var (column, meta) = Locate(name);
        try
        {
            using var chunk = _file.OpenChunk(meta, column);
            return ColumnAssembler.Read(chunk, column, RowCount, _file.Options.MaxBufferBytes);
        }
        catch (CorruptDataException e)
        {
            throw _file.Error(Index, column.DottedPath, e);
        }
    }

    /// <summary>
    /// Reads a primitive column that has no nulls in this row group as <typeparamref name="T"/>[] (bool, int, long,
    /// float, double, string, byte[]). A null throws <see cref="InvalidOperationException"/>: use <see cref="ReadColumn"/>.
    /// </summary>
    public T[] ReadValues<T>(string name)
    {
        var data = ReadColumn(name);
        if (data.Field is ParquetListField)
            throw new InvalidOperationException($"Column '{name}' is a list; use ReadFixedSizeList or ReadColumn.");
        if (data.ValueIsNull is { } isNull && Array.IndexOf(isNull, true) is var row and >= 0)
            throw new InvalidOperationException($"Column '{name}' has a null at row {row} of row group {Index} in '{FilePath}'; use ReadColumn to read nulls.");
        return data.GetValues<T>();
    }

    /// <summary>Reads a string column; null rows are null references.</summary>
    public string?[] ReadStrings(string name)
    {
        var data = ReadColumn(name);
        if (data.Field is not ParquetPrimitiveField { IsString: true })
            throw new InvalidOperationException($"Column '{name}' is {data.Field}, not a string column.");
        return data.GetValues<string?>();
    }

    /// <summary>
    /// The embedding hot path: reads a list column whose every row holds exactly <paramref name="length"/> non-null
    /// elements into <paramref name="destination"/> (row-major, at least <c>RowCount * length</c> values) without per-row
    /// work or allocation. <typeparamref name="T"/> is float, double, int or long, matching the element type. A null,
    /// empty or differently sized row throws <see cref="ParquetFormatException"/> naming the row.
    /// </summary>
    public void ReadFixedSizeList<T>(string name, int length, Span<T> destination) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var (column, meta) = Locate(name);
        if (column.Field is not ParquetListField)
            throw new InvalidOperationException($"Column '{name}' is {column.Field}, not a list.");
        try
        {
            using var chunk = _file.OpenChunk(meta, column);
            FixedSizeListReader.Read(chunk, column, RowCount, length, destination);
        }
        catch (CorruptDataException e)
        {
            throw _file.Error(Index, column.DottedPath, e);
        }
    }

    /// <summary>
    /// Reads a fixed-size list column into a new array, finding the length from the chunk's value count; see
    /// <see cref="ReadFixedSizeList{T}(string, int, Span{T})"/>.
    /// </summary>
    public T[] ReadFixedSizeList<T>(string name, out int length) where T : unmanaged
    {
        var (column, meta) = Locate(name);
        if (RowCount == 0)
        {
            length = 0;
            return [];
        }
        if (meta.NumValues % RowCount != 0 || meta.NumValues == 0)
            throw _file.Error(Index, column.DottedPath, new ShapeMismatchException(
                $"'{name}' is not a fixed-size list: {meta.NumValues} level entries for {RowCount} rows (read it with ReadColumn)"));
        var size = meta.NumValues / RowCount;
        if (size > int.MaxValue || meta.NumValues * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() > _file.Options.MaxBufferBytes)
            throw _file.Error(Index, column.DottedPath, new CorruptDataException(
                $"the column chunk declares {meta.NumValues} values, above the reader's limit of {_file.Options.MaxBufferBytes} bytes"));
        length = (int)size;
        var values = new T[meta.NumValues];
        ReadFixedSizeList(name, length, values);
        return values;
    }

    /// <summary>Chunk-level facts from the footer (no data is read).</summary>
    public long ColumnValueCount(string name) => Locate(name).Meta.NumValues;

    private (ColumnDescriptor Column, ColumnMetaData Meta) Locate(string name)
    {
        var field = _file.Schema.Contains(name) ? _file.Schema[name] : null;
        if (field is null)
        {
            var unsupported = _file.Schema.UnsupportedFields.FirstOrDefault(f => f.Key == name);
            if (unsupported.Key is not null)
                throw new NotSupportedException($"Column '{name}' in '{FilePath}' cannot be read: {unsupported.Value}.");
            _file.Schema.IndexOf(name); // throws naming the known columns
        }
        var column = _file.Schema.ColumnOf(field!);
        return (column, _group.Columns[column.LeafIndex].MetaData!);
    }
}
