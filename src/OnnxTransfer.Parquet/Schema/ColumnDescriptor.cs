using OnnxTransfer.Parquet.Format;

namespace OnnxTransfer.Parquet.Schema;

/// <summary>
/// One leaf column of a file's schema with its level structure: a level entry with definition level
/// <see cref="MaxDefinitionLevel"/> carries a value; for lists, entries below <see cref="RepeatedDefinitionLevel"/> are
/// a null or empty list, entries at or above it are list elements (present, or null below the maximum).
/// </summary>
internal sealed class ColumnDescriptor
{
    public required int LeafIndex { get; init; }
    public required IReadOnlyList<string> Path { get; init; }
    public required ParquetPhysicalType PhysicalType { get; init; }
    public required int TypeLength { get; init; }
    public required int MaxDefinitionLevel { get; init; }
    public required int MaxRepetitionLevel { get; init; }

    /// <summary>For a list (max repetition level 1): the definition level of the repeated node. 0 for flat columns.</summary>
    public required int RepeatedDefinitionLevel { get; init; }

    /// <summary>The top-level field this leaf is read as, or null when the library cannot read it (structs, maps, nested lists).</summary>
    public ParquetField? Field { get; set; }

    /// <summary>Why <see cref="Field"/> is null.</summary>
    public string? UnsupportedReason { get; set; }

    public string DottedPath => string.Join('.', Path);

    /// <summary>The primitive type of the values (the element type for lists).</summary>
    public ParquetPrimitiveField? ValueField => Field switch
    {
        ParquetPrimitiveField primitive => primitive,
        ParquetListField list => list.Element,
        _ => null,
    };

    /// <summary>Bytes one PLAIN value takes, or 0 for BYTE_ARRAY (variable) and BOOLEAN (bits).</summary>
    public int FixedValueWidth => PhysicalType switch
    {
        ParquetPhysicalType.Int32 or ParquetPhysicalType.Float => 4,
        ParquetPhysicalType.Int64 or ParquetPhysicalType.Double => 8,
        ParquetPhysicalType.Int96 => 12,
        ParquetPhysicalType.FixedLenByteArray => TypeLength,
        _ => 0,
    };
}
