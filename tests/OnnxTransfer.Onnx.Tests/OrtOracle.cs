using System.Text.Json;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// ONNX Runtime 1.30 through onnxruntime-node (tools/node), an implementation independent of this library: proves that
/// the files we write are models a real runtime accepts and computes correctly.
/// </summary>
internal static class OrtOracle
{
    private static string Script => Path.Combine(RepositoryPaths.Root, "tests", "OnnxTransfer.Onnx.Tests", "Oracles", "run_onnx.mjs");

    internal sealed record Output(long[] Dims, float[] Data);

    internal sealed record Result(string Model, string[] InputNames, string[] OutputNames, Dictionary<string, Output> Outputs);

    /// <summary>Runs each model on the .npy input (or only loads it when <paramref name="inputNpy"/> is null).</summary>
    public static IReadOnlyList<Result> Run(string? inputNpy, params string[] models)
    {
        var json = NodeOracle.Run(Script, [inputNpy ?? "-", .. models], timeout: TimeSpan.FromMinutes(2));
        using var document = JsonDocument.Parse(json);
        var results = new List<Result>();
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var outputs = new Dictionary<string, Output>(StringComparer.Ordinal);
            foreach (var output in entry.GetProperty("outputs").EnumerateObject())
                outputs[output.Name] = new Output(
                    output.Value.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                    output.Value.GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray());
            results.Add(new Result(
                entry.GetProperty("model").GetString()!,
                entry.GetProperty("inputNames").EnumerateArray().Select(e => e.GetString()!).ToArray(),
                entry.GetProperty("outputNames").EnumerateArray().Select(e => e.GetString()!).ToArray(),
                outputs));
        }
        return results;
    }
}
