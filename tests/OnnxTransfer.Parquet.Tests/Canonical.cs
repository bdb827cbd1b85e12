using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>
/// One text form for a cell, from our column data or from DuckDB's JSON, so the two can be compared exactly: integers
/// as integers, floats widened to double and printed round-trip ("R"), strings quoted, lists bracketed, null as null.
/// </summary>
internal static class Canonical
{
    public static string Ours(ParquetColumnData data, int row)
    {
        if (data.Offsets is null) return Value(data, row);
        if (data.IsRowNull(row)) return "null";
        var parts = new List<string>();
        for (var slot = data.Offsets[row]; slot < data.Offsets[row + 1]; slot++) parts.Add(Value(data, slot));
        return "[" + string.Join(",", parts) + "]";
    }

    private static string Value(ParquetColumnData data, int slot)
    {
        if (data.IsValueNull(slot)) return "null";
        return data.Values switch
        {
            bool[] v => v[slot] ? "true" : "false",
            int[] v => v[slot].ToString(CultureInfo.InvariantCulture),
            long[] v => v[slot].ToString(CultureInfo.InvariantCulture),
            float[] v => Double(v[slot]),
            double[] v => Double(v[slot]),
            string[] v => Quote(v[slot]),
            byte[][] v => Quote(Convert.ToHexString(v[slot])),
            _ => throw new InvalidOperationException(data.Values.GetType().Name),
        };
    }

    /// <summary>A DuckDB JSON cell of the given DuckDB type (e.g. "FLOAT[]").</summary>
    public static string DuckDb(JsonElement cell, string type)
    {
        switch (cell.ValueKind)
        {
            case JsonValueKind.Null: return "null";
            case JsonValueKind.True: return "true";
            case JsonValueKind.False: return "false";
            case JsonValueKind.Array:
                var element = type.EndsWith("[]", StringComparison.Ordinal) ? type[..^2] : type[..type.LastIndexOf('[')];
                return "[" + string.Join(",", cell.EnumerateArray().Select(e => DuckDb(e, element))) + "]";
            case JsonValueKind.Number:
                return type is "FLOAT" or "DOUBLE" ? Double(cell.GetDouble()) : cell.GetInt64().ToString(CultureInfo.InvariantCulture);
            case JsonValueKind.String:
                var text = cell.GetString()!;
                return type is "BIGINT" or "HUGEINT" or "UBIGINT" ? long.Parse(text, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) : Quote(text);
            default:
                throw new InvalidOperationException($"unexpected DuckDB JSON {cell}");
        }
    }

    private static string Double(double value) => value == 0 ? "0" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    /// <summary>Compares every cell of our columns with a DuckDB result whose columns have the same names, row by row.</summary>
    public static void AssertSame(IReadOnlyList<ParquetColumnData> ours, DuckDb.Result duck, string what)
    {
        Assert.That(duck.Rows, Has.Count.EqualTo(ours[0].RowCount), $"{what}: row count");
        var mismatches = new StringBuilder();
        var count = 0;
        foreach (var column in ours)
        {
            var index = duck.Columns.ToList().IndexOf(column.Field.Name);
            Assert.That(index, Is.GreaterThanOrEqualTo(0), $"{what}: DuckDB result lacks column {column.Field.Name}");
            for (var row = 0; row < column.RowCount; row++)
            {
                var expected = DuckDb(duck.Rows[row].GetProperty(column.Field.Name), duck.Types[index]);
                var actual = Ours(column, row);
                if (expected == actual) continue;
                if (++count <= 5) mismatches.AppendLine($"  {column.Field.Name} row {row}: DuckDB {expected}, ours {actual}");
            }
        }
        Assert.That(count, Is.Zero, $"{what}: {count} cells differ\n{mismatches}");
    }
}
