using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>The DuckDB oracle (tools/node/duckdb-query.mjs): runs SQL in one in-memory database, returns the last result.</summary>
internal static class DuckDb
{
    public sealed record Result(IReadOnlyList<string> Columns, IReadOnlyList<string> Types, IReadOnlyList<JsonElement> Rows);

    public static Result Query(params string[] statements)
    {
        var input = JsonSerializer.Serialize(new Dictionary<string, string[]> { ["statements"] = statements });
        var output = NodeOracle.Run("duckdb-query.mjs", [], input, TimeSpan.FromMinutes(2));
        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        return new Result(
            root.GetProperty("columns").EnumerateArray().Select(e => e.GetString()!).ToList(),
            root.GetProperty("types").EnumerateArray().Select(e => e.GetString()!).ToList(),
            root.GetProperty("rows").EnumerateArray().Select(e => e.Clone()).ToList());
    }

    /// <summary>A path as a SQL string literal.</summary>
    public static string Literal(string path) => "'" + path.Replace("'", "''") + "'";
}
