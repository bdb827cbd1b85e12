using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Parquet.Tests;

/// <summary>The DuckDB oracle (tools/node/duckdb-query.mjs): runs SQL in one in-memory database, returns the last result.</summary>
internal static class DuckDb
{
    public sealed record Result(IReadOnlyList<string> Columns, IReadOnlyList<string> Types, IReadOnlyList<JsonElement> Rows);

    public static Result Query(params string[] statements) => QueryAll(statements)[^1];

    /// <summary>Runs the statements in one DuckDB process and returns every statement's result.</summary>
    public static IReadOnlyList<Result> QueryAll(params string[] statements)
    {
        var input = JsonSerializer.Serialize(new Dictionary<string, object> { ["statements"] = statements, ["all"] = true });
        var output = NodeOracle.Run("duckdb-query.mjs", [], input, TimeSpan.FromMinutes(2));
        using var document = JsonDocument.Parse(output);
        return document.RootElement.GetProperty("results").EnumerateArray().Select(result => new Result(
            result.GetProperty("columns").EnumerateArray().Select(e => e.GetString()!).ToList(),
            result.GetProperty("types").EnumerateArray().Select(e => e.GetString()!).ToList(),
            result.GetProperty("rows").EnumerateArray().Select(e => e.Clone()).ToList())).ToList();
    }

    /// <summary>A path as a SQL string literal.</summary>
    public static string Literal(string path) => "'" + path.Replace("'", "''") + "'";
}
