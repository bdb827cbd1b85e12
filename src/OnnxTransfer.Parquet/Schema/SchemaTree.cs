using OnnxTransfer.Parquet.Format;

namespace OnnxTransfer.Parquet.Schema;

/// <summary>
/// Turns the footer's flattened schema into the node tree, the leaf columns with their levels, and the top-level fields
/// this library reads (primitives, and lists of primitives in the standard 3-level form or the legacy 2-level forms of
/// LogicalTypes.md's backward-compatibility rules). The writer runs its own schema through the same code, so what it
/// writes and what the reader expects cannot drift apart.
/// </summary>
internal static class SchemaTree
{
    /// <summary>Deeper schemas are refused: nothing this library serves nests more than a few levels.</summary>
    public const int MaxDepth = 32;

    public static (ParquetSchemaNode Root, List<ColumnDescriptor> Columns, List<ParquetField> Fields) Build(IReadOnlyList<SchemaElement> elements)
    {
        if (elements.Count == 0) throw new CorruptDataException("the schema is empty");
        var position = 0;
        var root = ReadNode(elements, ref position, depth: 0);
        if (position != elements.Count)
            throw new CorruptDataException($"the schema lists {elements.Count} elements but its tree uses {position}");
        if (root.IsLeaf) throw new CorruptDataException("the schema root is a primitive, not a group");

        var columns = new List<ColumnDescriptor>();
        var fields = new List<ParquetField>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in root.Children)
        {
            var firstLeaf = columns.Count;
            CollectLeaves(child, [child.Name], 0, 0, 0, columns);
            var field = MapField(child, out var reason);
            if (field is not null && !names.Add(field.Name))
            {
                field = null;
                reason = "another top-level field has the same name";
            }
            if (field is not null) fields.Add(field);
            for (var i = firstLeaf; i < columns.Count; i++)
            {
                columns[i].Field = field;
                columns[i].UnsupportedReason = reason;
            }
        }
        return (root, columns, fields);
    }

    private static ParquetSchemaNode ReadNode(IReadOnlyList<SchemaElement> elements, ref int position, int depth)
    {
        if (depth > MaxDepth) throw new CorruptDataException($"the schema nests deeper than {MaxDepth} levels");
        if (position >= elements.Count) throw new CorruptDataException("the schema tree declares more children than elements");
        var element = elements[position++];
        var isLeaf = element.NumChildren is null or 0 && element.Type is not null;
        if (depth > 0 && element.Repetition is null)
            throw new CorruptDataException($"schema element '{element.Name}' has no repetition");
        if (element.Repetition is { } repetition && !Enum.IsDefined(repetition))
            throw new CorruptDataException($"schema element '{element.Name}' has unknown repetition {(int)repetition}");

        var children = new List<ParquetSchemaNode>();
        if (!isLeaf)
        {
            var count = element.NumChildren ?? 0;
            if (count < 0 || count > elements.Count - position)
                throw new CorruptDataException($"schema element '{element.Name}' declares {count} children but only {elements.Count - position} elements follow");
            if (count == 0 && depth > 0) throw new CorruptDataException($"schema group '{element.Name}' has no children and no type");
            for (var i = 0; i < count; i++) children.Add(ReadNode(elements, ref position, depth + 1));
        }
        else
        {
            var type = element.Type!.Value;
            if (!Enum.IsDefined(type)) throw new CorruptDataException($"schema element '{element.Name}' has unknown physical type {(int)type}");
            if (type == ParquetPhysicalType.FixedLenByteArray && element.TypeLength is not > 0)
                throw new CorruptDataException($"FIXED_LEN_BYTE_ARRAY column '{element.Name}' has no positive type_length");
        }
        return new ParquetSchemaNode(element.Name, depth == 0 ? null : element.Repetition, isLeaf ? element.Type : null,
            element.Type == ParquetPhysicalType.FixedLenByteArray ? element.TypeLength : null,
            element.ConvertedType, element.LogicalType, element.Scale, element.Precision, element.FieldId, children);
    }

    private static void CollectLeaves(ParquetSchemaNode node, List<string> path, int definition, int repetition, int repeatedDefinition,
        List<ColumnDescriptor> columns)
    {
        switch (node.Repetition)
        {
            case ParquetRepetition.Optional:
                definition++;
                break;
            case ParquetRepetition.Repeated:
                definition++;
                repetition++;
                repeatedDefinition = definition;
                break;
        }
        if (node.IsLeaf)
        {
            columns.Add(new ColumnDescriptor
            {
                LeafIndex = columns.Count,
                Path = path.ToArray(),
                PhysicalType = node.PhysicalType!.Value,
                TypeLength = node.PhysicalType == ParquetPhysicalType.Int96 ? 12 : node.TypeLength ?? 0,
                MaxDefinitionLevel = definition,
                MaxRepetitionLevel = repetition,
                RepeatedDefinitionLevel = repeatedDefinition,
            });
            return;
        }
        foreach (var child in node.Children)
        {
            path.Add(child.Name);
            CollectLeaves(child, path, definition, repetition, repeatedDefinition, columns);
            path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>Maps a top-level node to a field this library reads, or explains why not.</summary>
    private static ParquetField? MapField(ParquetSchemaNode node, out string? reason)
    {
        reason = null;
        if (node.IsLeaf)
        {
            var primitive = ToPrimitive(node, node.Name, node.Repetition == ParquetRepetition.Optional);
            // A bare repeated primitive is a required list of required elements (legacy rule 1).
            return node.Repetition == ParquetRepetition.Repeated ? new ParquetListField(node.Name, primitive.WithName(node.Name, false), nullable: false) : primitive;
        }
        if (node.Repetition == ParquetRepetition.Repeated)
        {
            reason = "a repeated group (list of structs) is not supported";
            return null;
        }
        if (!node.IsListAnnotated)
        {
            reason = node.LogicalType?.Kind == ParquetLogicalTypeKind.Map || node.ConvertedType is ParquetConvertedType.Map or ParquetConvertedType.MapKeyValue
                ? "MAP columns are not supported"
                : "struct (group) columns are not supported";
            return null;
        }
        if (node.Children.Count != 1 || node.Children[0].Repetition != ParquetRepetition.Repeated)
        {
            reason = "a LIST group must hold exactly one repeated field";
            return null;
        }
        var nullable = node.Repetition == ParquetRepetition.Optional;
        var repeated = node.Children[0];
        if (repeated.IsLeaf) // 2-level list: the repeated primitive is the (required) element
            return new ParquetListField(node.Name, ToPrimitive(repeated, repeated.Name, nullable: false), nullable);
        if (repeated.Children.Count != 1)
        {
            reason = "lists of structs are not supported";
            return null;
        }
        var element = repeated.Children[0];
        if (!element.IsLeaf)
        {
            reason = "lists of lists, structs or maps are not supported";
            return null;
        }
        if (element.Repetition == ParquetRepetition.Repeated)
        {
            reason = "a list element that is itself repeated is not supported";
            return null;
        }
        // Standard 3-level form, or the legacy "array" / "<name>_tuple" one-field struct: either way the leaf is the element.
        return new ParquetListField(node.Name, ToPrimitive(element, element.Name, element.Repetition == ParquetRepetition.Optional), nullable);
    }

    private static ParquetPrimitiveField ToPrimitive(ParquetSchemaNode node, string name, bool nullable) =>
        new(name, node.PhysicalType!.Value, nullable,
            node.PhysicalType == ParquetPhysicalType.FixedLenByteArray ? node.TypeLength ?? 0 : 0,
            node.LogicalType, node.ConvertedType);

    /// <summary>The footer schema elements for the fields the writer is given.</summary>
    public static List<SchemaElement> ToElements(IReadOnlyList<ParquetField> fields)
    {
        var elements = new List<SchemaElement> { new() { Name = "schema", NumChildren = fields.Count } };
        foreach (var field in fields)
        {
            switch (field)
            {
                case ParquetPrimitiveField primitive:
                    elements.Add(Leaf(primitive, primitive.Name, primitive.IsNullable ? ParquetRepetition.Optional : ParquetRepetition.Required));
                    break;
                case ParquetListField list:
                    elements.Add(new SchemaElement
                    {
                        Name = list.Name,
                        Repetition = list.IsNullable ? ParquetRepetition.Optional : ParquetRepetition.Required,
                        NumChildren = 1,
                        ConvertedType = ParquetConvertedType.List,
                        LogicalType = ParquetLogicalType.List,
                    });
                    elements.Add(new SchemaElement { Name = "list", Repetition = ParquetRepetition.Repeated, NumChildren = 1 });
                    elements.Add(Leaf(list.Element, "element", list.Element.IsNullable ? ParquetRepetition.Optional : ParquetRepetition.Required));
                    break;
                default:
                    throw new ArgumentException($"Unsupported field type {field.GetType().Name}.", nameof(fields));
            }
        }
        return elements;
    }

    private static SchemaElement Leaf(ParquetPrimitiveField field, string name, ParquetRepetition repetition)
    {
        if (field.PhysicalType == ParquetPhysicalType.Int96)
            throw new ArgumentException($"Field '{name}': writing INT96 is not supported (it is deprecated); use INT64.");
        var element = new SchemaElement
        {
            Name = name,
            Type = field.PhysicalType,
            Repetition = repetition,
            TypeLength = field.PhysicalType == ParquetPhysicalType.FixedLenByteArray ? field.TypeLength : null,
        };
        if (field.IsString)
        {
            element.ConvertedType = ParquetConvertedType.Utf8;
            element.LogicalType = ParquetLogicalType.String;
        }
        return element;
    }
}
