using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>DuckDB (Node oracle, tools/node/duckdb-query.mjs) reading our Parquet files: an independent reader.</summary>
internal static class DuckDb
{
    /// <summary>Runs SQL and returns the rows of the result as JSON objects.</summary>
    public static JsonArray Query(string sql)
    {
        var request = new JsonObject { ["statements"] = new JsonArray(sql) }.ToJsonString();
        var output = NodeOracle.Run("duckdb-query.mjs", [], request);
        return JsonNode.Parse(output)!["rows"]!.AsArray();
    }

    /// <summary>A path quoted for a DuckDB string literal.</summary>
    public static string Literal(string path) => "'" + path.Replace("'", "''") + "'";

    public static long Long(JsonNode? node) => node!.GetValueKind() == JsonValueKind.String ? long.Parse(node.GetValue<string>()) : node.GetValue<long>();
}
