namespace OnnxTransfer.Parquet.Writing;

/// <summary>
/// One column's data for a row group as the writer takes it. <see cref="Values"/> has a slot per row (primitive
/// columns) or per element (lists). A list is either fixed-size (<see cref="FixedLength"/> elements per row) or has
/// <see cref="Offsets"/> (row count + 1 entries, minus <see cref="OffsetBase"/> to index <see cref="Values"/>).
/// </summary>
internal readonly ref struct ColumnInput<T>
{
    public ReadOnlySpan<T> Values { get; init; }
    public ReadOnlySpan<bool> ValueIsNull { get; init; }
    public ReadOnlySpan<int> Offsets { get; init; }
    public int OffsetBase { get; init; }
    public int FixedLength { get; init; }
    public ReadOnlySpan<bool> RowIsNull { get; init; }

    public bool IsFixedSize => FixedLength > 0;

    public int RowStart(int row) => IsFixedSize ? row * FixedLength : Offsets[row] - OffsetBase;

    public int RowLength(int row) => IsFixedSize ? FixedLength : Offsets[row + 1] - Offsets[row];

    public bool IsRowNull(int row) => !RowIsNull.IsEmpty && RowIsNull[row];
}
