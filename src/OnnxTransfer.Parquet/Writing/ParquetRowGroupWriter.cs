using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Schema;
using OnnxTransfer.Parquet.Writing;

namespace OnnxTransfer.Parquet;

/// <summary>
/// Writes the columns of one row group; each column is encoded and written to the file as soon as it is given (any
/// order), and <see cref="Complete"/> checks that every column was written. Input is checked before anything is written,
/// so a refused column (wrong length, a null in a required column) leaves the file writer usable.
/// </summary>
public sealed class ParquetRowGroupWriter
{
    private readonly ParquetFileWriter _file;
    private readonly ColumnChunk?[] _chunks;
    private bool _completed;

    internal ParquetRowGroupWriter(ParquetFileWriter file, int index, int rowCount)
    {
        _file = file;
        Index = index;
        RowCount = rowCount;
        _chunks = new ColumnChunk?[file.Schema.Fields.Count];
    }

    public int Index { get; }

    public int RowCount { get; }

    /// <summary>A primitive column of bool, int, long, float or double; <paramref name="isNull"/> (optional) flags null rows.</summary>
    public void WriteValues<T>(string name, ReadOnlySpan<T> values, ReadOnlySpan<bool> isNull = default) where T : unmanaged =>
        Write(name, expectList: false, new ColumnInput<T> { Values = values, ValueIsNull = isNull });

    /// <summary>A string column; null references are nulls.</summary>
    public void WriteStrings(string name, ReadOnlySpan<string?> values) =>
        Write(name, expectList: false, new ColumnInput<string> { Values = values! });

    /// <summary>A BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY column; null references are nulls.</summary>
    public void WriteBinary(string name, ReadOnlySpan<byte[]?> values) =>
        Write(name, expectList: false, new ColumnInput<byte[]> { Values = values! });

    /// <summary>
    /// The embedding path: a list column whose rows each hold <paramref name="length"/> elements, taken row-major from
    /// one contiguous buffer of <c>RowCount * length</c> values.
    /// </summary>
    public void WriteFixedSizeList<T>(string name, ReadOnlySpan<T> values, int length) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Write(name, expectList: true, new ColumnInput<T> { Values = values, FixedLength = length });
    }

    /// <summary>
    /// A list column of any shape: row r holds <c>values[offsets[r]..offsets[r+1]]</c> (<paramref name="offsets"/> has
    /// RowCount + 1 entries from 0); <paramref name="rowIsNull"/> flags null lists, <paramref name="valueIsNull"/> null
    /// elements (string/byte[] elements may also be null references).
    /// </summary>
    public void WriteList<T>(string name, ReadOnlySpan<T> values, ReadOnlySpan<int> offsets, ReadOnlySpan<bool> rowIsNull = default,
        ReadOnlySpan<bool> valueIsNull = default) =>
        Write(name, expectList: true, new ColumnInput<T> { Values = values, Offsets = offsets, RowIsNull = rowIsNull, ValueIsNull = valueIsNull });

    /// <summary>Writes a column from its columnar form (its field must be the schema's field of that name).</summary>
    public void WriteColumn(ParquetColumnData data) => WriteColumn(data, 0, data.RowCount);

    internal void WriteColumn(ParquetColumnData data, int startRow, int rowCount)
    {
        if (rowCount != RowCount) throw new ArgumentException($"Column '{data.Field.Name}': {rowCount} rows for a row group of {RowCount}.");
        switch (data.Values)
        {
            case bool[] v: WriteSlice(data, v, startRow, rowCount); break;
            case int[] v: WriteSlice(data, v, startRow, rowCount); break;
            case long[] v: WriteSlice(data, v, startRow, rowCount); break;
            case float[] v: WriteSlice(data, v, startRow, rowCount); break;
            case double[] v: WriteSlice(data, v, startRow, rowCount); break;
            case string[] v: WriteSlice(data, v, startRow, rowCount); break;
            case byte[][] v: WriteSlice(data, v, startRow, rowCount); break;
            default: throw new ArgumentException($"Column '{data.Field.Name}' holds {data.Values.GetType().Name}, which cannot be written.");
        }
    }

    private void WriteSlice<T>(ParquetColumnData data, T[] values, int startRow, int rowCount)
    {
        if (data.Offsets is null)
        {
            Write(data.Field.Name, expectList: false, new ColumnInput<T>
            {
                Values = values.AsSpan(startRow, rowCount),
                ValueIsNull = data.ValueIsNull is null ? default : data.ValueIsNull.AsSpan(startRow, rowCount),
            });
            return;
        }
        var first = data.Offsets[startRow];
        var end = data.Offsets[startRow + rowCount];
        Write(data.Field.Name, expectList: true, new ColumnInput<T>
        {
            Values = values.AsSpan(first, end - first),
            ValueIsNull = data.ValueIsNull is null ? default : data.ValueIsNull.AsSpan(first, end - first),
            Offsets = data.Offsets.AsSpan(startRow, rowCount + 1),
            OffsetBase = first,
            RowIsNull = data.RowIsNull is null ? default : data.RowIsNull.AsSpan(startRow, rowCount),
        });
    }

    /// <summary>Adds the row group to the file; every column must have been written.</summary>
    public void Complete()
    {
        if (_completed) throw new InvalidOperationException($"Row group {Index} is already complete.");
        var missing = _file.Schema.Fields.Where((_, i) => _chunks[i] is null).Select(f => f.Name).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"Row group {Index} is missing columns: {string.Join(", ", missing)}.");
        var columns = _chunks.Select(c => c!).ToList();
        var group = new RowGroup
        {
            Columns = columns,
            NumRows = RowCount,
            TotalByteSize = columns.Sum(c => c.MetaData!.TotalUncompressedSize),
            TotalCompressedSize = columns.Sum(c => c.MetaData!.TotalCompressedSize),
            FileOffset = columns.Min(c => c.MetaData!.DictionaryPageOffset ?? c.MetaData!.DataPageOffset),
            Ordinal = Index <= short.MaxValue ? (short)Index : null,
        };
        _completed = true;
        _file.AddRowGroup(group, RowCount);
    }

    private void Write<T>(string name, bool expectList, ColumnInput<T> input)
    {
        if (_completed) throw new InvalidOperationException($"Row group {Index} is already complete.");
        var index = _file.Schema.IndexOf(name);
        if (_chunks[index] is not null) throw new InvalidOperationException($"Column '{name}' was already written in row group {Index}.");
        var field = _file.Schema.Fields[index];
        var isList = field is ParquetListField;
        if (isList != expectList)
            throw new ArgumentException(isList
                ? $"Column '{name}' is a list; write it with WriteFixedSizeList or WriteList."
                : $"Column '{name}' is not a list; write it with WriteValues, WriteStrings or WriteBinary.");
        var column = _file.Schema.ColumnOf(field);
        var writer = ValueWriters.For<T>(column.ValueField!, name);
        ColumnChunkWriter.Validate(column, field, RowCount, input, writer);
        try
        {
            _chunks[index] = _file.ChunkWriter.Write(column, field, RowCount, input, writer);
        }
        catch
        {
            _file.MarkFaulted();
            throw;
        }
    }
}
