namespace OnnxTransfer.Parquet;

/// <summary>
/// One node of a file's full schema tree, as written in its footer, including groups this library does not read into
/// columns (structs, maps). Used by <see cref="ParquetFileDescription"/> to show a file's schema as it is.
/// </summary>
public sealed class ParquetSchemaNode
{
    internal ParquetSchemaNode(string name, ParquetRepetition? repetition, ParquetPhysicalType? physicalType, int? typeLength,
        ParquetConvertedType? convertedType, ParquetLogicalType? logicalType, int? scale, int? precision, int? fieldId,
        IReadOnlyList<ParquetSchemaNode> children)
    {
        Name = name;
        Repetition = repetition;
        PhysicalType = physicalType;
        TypeLength = typeLength;
        ConvertedType = convertedType;
        LogicalType = logicalType;
        Scale = scale;
        Precision = precision;
        FieldId = fieldId;
        Children = children;
    }

    public string Name { get; }

    /// <summary>Null only for the root.</summary>
    public ParquetRepetition? Repetition { get; }

    /// <summary>Set for leaves (primitive columns), null for groups.</summary>
    public ParquetPhysicalType? PhysicalType { get; }

    public int? TypeLength { get; }
    public ParquetConvertedType? ConvertedType { get; }
    public ParquetLogicalType? LogicalType { get; }
    public int? Scale { get; }
    public int? Precision { get; }
    public int? FieldId { get; }
    public IReadOnlyList<ParquetSchemaNode> Children { get; }

    public bool IsLeaf => PhysicalType is not null;

    internal bool IsListAnnotated => LogicalType?.Kind == ParquetLogicalTypeKind.List || ConvertedType == ParquetConvertedType.List;

    /// <summary>The node in Parquet's schema notation, e.g. <c>optional binary name (STRING)</c>.</summary>
    public string Describe()
    {
        var repetition = Repetition?.ToString().ToLowerInvariant();
        var type = PhysicalType switch
        {
            null => "group",
            ParquetPhysicalType.FixedLenByteArray => $"fixed_len_byte_array({TypeLength})",
            ParquetPhysicalType.ByteArray => "binary",
            var t => t.Value.ToString().ToLowerInvariant(),
        };
        var annotation = LogicalType?.ToString() ?? ConvertedType switch
        {
            null => null,
            ParquetConvertedType.Decimal => $"DECIMAL({Precision},{Scale})",
            var c => c.Value.ToString().ToUpperInvariant(),
        };
        var text = repetition is null ? $"{type} {Name}" : $"{repetition} {type} {Name}";
        if (annotation is not null) text += $" ({annotation})";
        if (FieldId is { } id) text += $" = {id}";
        return text;
    }
}
