namespace OnnxTransfer.Parquet;

/// <summary>
/// A top-level column as this library reads and writes it: a primitive value (<see cref="ParquetPrimitiveField"/>) or a
/// list of primitive values (<see cref="ParquetListField"/>). Build them with the factory methods, e.g.
/// <c>ParquetField.String("id", nullable: false)</c> or <c>ParquetField.List("embedding", ParquetField.Float("element", nullable: false))</c>.
/// </summary>
public abstract class ParquetField
{
    private protected ParquetField(string name, bool nullable)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("A Parquet field needs a non-empty name.", nameof(name));
        Name = name;
        IsNullable = nullable;
    }

    public string Name { get; }

    /// <summary>Whether a row may hold null (for a list: a null list, not a null element).</summary>
    public bool IsNullable { get; }

    public static ParquetPrimitiveField Boolean(string name, bool nullable = true) => new(name, ParquetPhysicalType.Boolean, nullable);
    public static ParquetPrimitiveField Int32(string name, bool nullable = true) => new(name, ParquetPhysicalType.Int32, nullable);
    public static ParquetPrimitiveField Int64(string name, bool nullable = true) => new(name, ParquetPhysicalType.Int64, nullable);
    public static ParquetPrimitiveField Float(string name, bool nullable = true) => new(name, ParquetPhysicalType.Float, nullable);
    public static ParquetPrimitiveField Double(string name, bool nullable = true) => new(name, ParquetPhysicalType.Double, nullable);

    /// <summary>A UTF-8 string column (BYTE_ARRAY annotated STRING/UTF8); values are <see cref="string"/>.</summary>
    public static ParquetPrimitiveField String(string name, bool nullable = true) =>
        new(name, ParquetPhysicalType.ByteArray, nullable, logicalType: ParquetLogicalType.String, convertedType: ParquetConvertedType.Utf8);

    /// <summary>A binary column (BYTE_ARRAY, no annotation); values are <c>byte[]</c>.</summary>
    public static ParquetPrimitiveField Binary(string name, bool nullable = true) => new(name, ParquetPhysicalType.ByteArray, nullable);

    /// <summary>A FIXED_LEN_BYTE_ARRAY column; values are <c>byte[]</c> of exactly <paramref name="length"/> bytes.</summary>
    public static ParquetPrimitiveField FixedLengthBinary(string name, int length, bool nullable = true) =>
        new(name, ParquetPhysicalType.FixedLenByteArray, nullable, typeLength: length);

    /// <summary>
    /// A standard 3-level LIST: <c>&lt;name&gt; (LIST) { repeated group list { &lt;element&gt; } }</c>. The element's name is
    /// written as "element" (the name the specification recommends); its nullability is kept.
    /// </summary>
    public static ParquetListField List(string name, ParquetPrimitiveField element, bool nullable = true) => new(name, element, nullable);

    /// <summary>The CLR array type that holds this field's values in <see cref="ParquetColumnData.Values"/>.</summary>
    public abstract Type ValueArrayType { get; }
}

/// <summary>A primitive column: one value (or null) per row.</summary>
public sealed class ParquetPrimitiveField : ParquetField
{
    public ParquetPrimitiveField(string name, ParquetPhysicalType physicalType, bool nullable = true, int typeLength = 0,
        ParquetLogicalType? logicalType = null, ParquetConvertedType? convertedType = null)
        : base(name, nullable)
    {
        if (physicalType == ParquetPhysicalType.FixedLenByteArray && typeLength <= 0)
            throw new ArgumentException($"FIXED_LEN_BYTE_ARRAY field '{name}' needs a positive length.", nameof(typeLength));
        if (physicalType == ParquetPhysicalType.Int96) typeLength = 12;
        PhysicalType = physicalType;
        TypeLength = typeLength;
        LogicalType = logicalType;
        ConvertedType = convertedType;
    }

    public ParquetPhysicalType PhysicalType { get; }

    /// <summary>Bytes per value for FIXED_LEN_BYTE_ARRAY (12 for INT96), else 0.</summary>
    public int TypeLength { get; }

    public ParquetLogicalType? LogicalType { get; }

    public ParquetConvertedType? ConvertedType { get; }

    /// <summary>True when BYTE_ARRAY values are text (STRING, ENUM, JSON) and are read as <see cref="string"/>.</summary>
    public bool IsString => PhysicalType == ParquetPhysicalType.ByteArray && (
        LogicalType?.Kind is ParquetLogicalTypeKind.String or ParquetLogicalTypeKind.Enum or ParquetLogicalTypeKind.Json
        || ConvertedType is ParquetConvertedType.Utf8 or ParquetConvertedType.Enum or ParquetConvertedType.Json);

    public override Type ValueArrayType => PhysicalType switch
    {
        ParquetPhysicalType.Boolean => typeof(bool[]),
        ParquetPhysicalType.Int32 => typeof(int[]),
        ParquetPhysicalType.Int64 => typeof(long[]),
        ParquetPhysicalType.Float => typeof(float[]),
        ParquetPhysicalType.Double => typeof(double[]),
        ParquetPhysicalType.ByteArray when IsString => typeof(string[]),
        _ => typeof(byte[][]),
    };

    /// <summary>A copy with another name and nullability (the list element as the writer names it).</summary>
    internal ParquetPrimitiveField WithName(string name, bool nullable) =>
        new(name, PhysicalType, nullable, PhysicalType == ParquetPhysicalType.Int96 ? 0 : TypeLength, LogicalType, ConvertedType);

    public override string ToString()
    {
        var type = IsString ? "STRING" : PhysicalType.ToString().ToUpperInvariant();
        if (PhysicalType == ParquetPhysicalType.FixedLenByteArray) type += $"({TypeLength})";
        if (LogicalType is not null && !IsString) type += $" {LogicalType}";
        return $"{Name}: {type}{(IsNullable ? "" : " NOT NULL")}";
    }
}

/// <summary>A list of primitive values per row; an embedding is a list of FLOAT.</summary>
public sealed class ParquetListField : ParquetField
{
    public ParquetListField(string name, ParquetPrimitiveField element, bool nullable = true) : base(name, nullable)
    {
        Element = element ?? throw new ArgumentNullException(nameof(element));
    }

    /// <summary>The element type; <see cref="ParquetField.IsNullable"/> on it says whether elements may be null.</summary>
    public ParquetPrimitiveField Element { get; }

    public override Type ValueArrayType => Element.ValueArrayType;

    public override string ToString()
    {
        var element = Element.ToString();
        element = element[(element.IndexOf(':') + 2)..];
        return $"{Name}: LIST<{element}>{(IsNullable ? "" : " NOT NULL")}";
    }
}
