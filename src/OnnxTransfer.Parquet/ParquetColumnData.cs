namespace OnnxTransfer.Parquet;

/// <summary>
/// The values of one column for a run of rows, in a columnar layout. <see cref="Values"/> is the typed array the field's
/// <see cref="ParquetField.ValueArrayType"/> names (<c>bool[]</c>, <c>int[]</c>, <c>long[]</c>, <c>float[]</c>, <c>double[]</c>,
/// <c>string[]</c>, <c>byte[][]</c>), with one slot per row for primitive columns and one slot per element for lists, where
/// <see cref="Offsets"/> (row count + 1 entries) delimit each row's elements. Null slots hold the default value and are
/// flagged in <see cref="ValueIsNull"/> (string and byte[] slots are also null references); null lists are flagged in
/// <see cref="RowIsNull"/> and have no elements.
/// </summary>
public sealed class ParquetColumnData
{
    public ParquetColumnData(ParquetField field, Array values, bool[]? valueIsNull = null, int[]? offsets = null, bool[]? rowIsNull = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(values);
        if (values.GetType() != field.ValueArrayType)
            throw new ArgumentException($"Column '{field.Name}' takes {field.ValueArrayType.Name} values, not {values.GetType().Name}.", nameof(values));
        if (valueIsNull is not null && valueIsNull.Length != values.Length)
            throw new ArgumentException($"Column '{field.Name}': {valueIsNull.Length} null flags for {values.Length} values.", nameof(valueIsNull));

        if (field is ParquetListField list)
        {
            if (offsets is null || offsets.Length == 0)
                throw new ArgumentException($"List column '{field.Name}' needs offsets (row count + 1 entries).", nameof(offsets));
            if (offsets[0] != 0 || offsets[^1] != values.Length)
                throw new ArgumentException($"List column '{field.Name}': offsets must start at 0 and end at the value count {values.Length}.", nameof(offsets));
            for (var i = 1; i < offsets.Length; i++)
                if (offsets[i] < offsets[i - 1])
                    throw new ArgumentException($"List column '{field.Name}': offsets decrease at row {i - 1}.", nameof(offsets));
            RowCount = offsets.Length - 1;
            if (rowIsNull is not null)
            {
                if (rowIsNull.Length != RowCount) throw new ArgumentException($"List column '{field.Name}': {rowIsNull.Length} row null flags for {RowCount} rows.", nameof(rowIsNull));
                for (var row = 0; row < RowCount; row++)
                {
                    if (!rowIsNull[row]) continue;
                    if (!list.IsNullable) throw new ArgumentException($"List column '{field.Name}' is not nullable but row {row} is null.", nameof(rowIsNull));
                    if (offsets[row + 1] != offsets[row]) throw new ArgumentException($"List column '{field.Name}': null row {row} has elements.", nameof(rowIsNull));
                }
            }
        }
        else
        {
            if (offsets is not null || rowIsNull is not null)
                throw new ArgumentException($"Column '{field.Name}' is not a list; offsets and row null flags do not apply.");
            RowCount = values.Length;
        }
        Field = field;
        Values = values;
        ValueIsNull = valueIsNull;
        Offsets = offsets;
        RowIsNull = rowIsNull;
    }

    public ParquetField Field { get; }
    public int RowCount { get; }
    public Array Values { get; }
    public bool[]? ValueIsNull { get; }
    public int[]? Offsets { get; }
    public bool[]? RowIsNull { get; }

    /// <summary>A primitive column's values.</summary>
    public static ParquetColumnData Create<T>(ParquetPrimitiveField field, T[] values, bool[]? isNull = null) => new(field, values, isNull);

    /// <summary>A list column: <paramref name="offsets"/> has one entry per row plus one.</summary>
    public static ParquetColumnData CreateList<T>(ParquetListField field, T[] values, int[] offsets, bool[]? rowIsNull = null, bool[]? valueIsNull = null) =>
        new(field, values, valueIsNull, offsets, rowIsNull);

    /// <summary>A list column whose rows all hold <paramref name="length"/> elements (an embedding matrix, row-major).</summary>
    public static ParquetColumnData CreateFixedSizeList<T>(ParquetListField field, T[] values, int length)
    {
        if (length <= 0 || values.Length % length != 0)
            throw new ArgumentException($"Column '{field.Name}': {values.Length} values are not whole rows of {length}.", nameof(values));
        var offsets = new int[values.Length / length + 1];
        for (var i = 1; i < offsets.Length; i++) offsets[i] = i * length;
        return new ParquetColumnData(field, values, null, offsets, null);
    }

    /// <summary>The values as <typeparamref name="T"/>[]; throws naming the actual type when it differs.</summary>
    public T[] GetValues<T>() =>
        Values as T[] ?? throw new InvalidCastException($"Column '{Field.Name}' holds {Values.GetType().Name}, not {typeof(T).Name}[].");

    /// <summary>True when slot <paramref name="index"/> (a row, or a list element) is null.</summary>
    public bool IsValueNull(int index) => ValueIsNull?[index] == true || (Values is object?[] references && references[index] is null);

    /// <summary>True when row <paramref name="row"/> is null (a null value, or a null list).</summary>
    public bool IsRowNull(int row) => Field is ParquetListField ? RowIsNull?[row] == true : IsValueNull(row);

    /// <summary>The elements of list row <paramref name="row"/>.</summary>
    public ReadOnlySpan<T> GetList<T>(int row)
    {
        if (Offsets is null) throw new InvalidOperationException($"Column '{Field.Name}' is not a list.");
        return GetValues<T>().AsSpan(Offsets[row], Offsets[row + 1] - Offsets[row]);
    }
}
