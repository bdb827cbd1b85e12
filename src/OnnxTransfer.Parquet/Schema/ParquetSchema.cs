using OnnxTransfer.Parquet.Format;
using OnnxTransfer.Parquet.Schema;

namespace OnnxTransfer.Parquet;

/// <summary>
/// The columns of a file: the top-level fields this library reads and writes, and (for a file that was read) the full
/// schema tree and the fields it had to leave out.
/// </summary>
public sealed class ParquetSchema
{
    private readonly Dictionary<string, int> _indexByName;

    /// <summary>A schema for writing. Field names must be unique.</summary>
    public ParquetSchema(params IEnumerable<ParquetField> fields)
    {
        var list = fields.ToList();
        if (list.Count == 0) throw new ArgumentException("A Parquet schema needs at least one field.", nameof(fields));
        Fields = list;
        _indexByName = BuildIndex(list);
        var (root, columns, _) = SchemaTree.Build(SchemaTree.ToElements(list));
        // Every field the writer takes has exactly one leaf, in field order; point the leaves at the caller's objects.
        for (var i = 0; i < list.Count; i++) columns[i].Field = list[i];
        Root = root;
        Columns = columns;
        UnsupportedFields = [];
    }

    private ParquetSchema(List<ParquetField> fields, ParquetSchemaNode root, List<ColumnDescriptor> columns)
    {
        Fields = fields;
        _indexByName = BuildIndex(fields);
        Root = root;
        Columns = columns;
        UnsupportedFields = root.Children
            .Where(child => !_indexByName.ContainsKey(child.Name))
            .Select(child => new KeyValuePair<string, string>(child.Name,
                columns.FirstOrDefault(c => c.Path[0] == child.Name)?.UnsupportedReason ?? "not supported"))
            .ToList();
    }

    /// <summary>The top-level fields, in file order.</summary>
    public IReadOnlyList<ParquetField> Fields { get; }

    /// <summary>The full schema tree (its root is the unnamed message group).</summary>
    public ParquetSchemaNode Root { get; }

    /// <summary>Top-level fields of the file that this library cannot read into columns, with the reason.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UnsupportedFields { get; }

    internal IReadOnlyList<ColumnDescriptor> Columns { get; }

    public ParquetField this[string name] => Fields[IndexOf(name)];

    public bool Contains(string name) => _indexByName.ContainsKey(name);

    /// <summary>The field's position among <see cref="Fields"/>; throws <see cref="KeyNotFoundException"/> naming the known fields otherwise.</summary>
    public int IndexOf(string name) =>
        _indexByName.TryGetValue(name, out var index)
            ? index
            : throw new KeyNotFoundException($"No column '{name}' in this Parquet schema; it has: {string.Join(", ", Fields.Select(f => f.Name))}.");

    /// <summary>The leaf column that holds a field's values.</summary>
    internal ColumnDescriptor ColumnOf(ParquetField field) => Columns.First(c => ReferenceEquals(c.Field, field));

    /// <summary>True when both schemas have the same fields (names, types, nullability) in the same order.</summary>
    public bool IsEquivalentTo(ParquetSchema other)
    {
        if (other.Fields.Count != Fields.Count) return false;
        for (var i = 0; i < Fields.Count; i++)
            if (Fields[i].ToString() != other.Fields[i].ToString()) return false;
        return true;
    }

    public override string ToString() => string.Join(Environment.NewLine, Fields.Select(f => f.ToString()));

    internal static ParquetSchema FromFile(IReadOnlyList<SchemaElement> elements)
    {
        var (root, columns, fields) = SchemaTree.Build(elements);
        return new ParquetSchema(fields, root, columns);
    }

    private static Dictionary<string, int> BuildIndex(List<ParquetField> fields)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
            if (!index.TryAdd(fields[i].Name, i))
                throw new ArgumentException($"The Parquet schema has two fields named '{fields[i].Name}'.");
        return index;
    }
}
