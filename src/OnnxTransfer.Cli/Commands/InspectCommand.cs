using System.CommandLine;
using System.Text.Json.Serialization;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// <c>onnxtransfer inspect MODEL</c>: inputs/outputs with types and shapes, opsets, producer, metadata, node count and
/// the feature tensor a backbone spec would use. Reads the model as data; ONNX Runtime is not needed.
/// </summary>
public static class InspectCommand
{
    private static readonly Argument<string> Model = new("model") { Description = "The .onnx file." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object." };

    public static Command Create()
    {
        var command = new Command("inspect", "Show a model's inputs, outputs, opsets, metadata and located feature tensor.") { Model, Json };
        command.SetHandler((parseResult, _) =>
        {
            var path = parseResult.GetValue(Model)!;
            var model = OnnxModel.Load(path);
            var size = new FileInfo(path).Length;
            FeatureTensor? feature = null;
            string? featureProblem = null;
            try { feature = new FeatureTensorLocator().Locate(model); }
            catch (FeatureTensorNotFoundException e) { featureProblem = e.Message; }

            if (parseResult.GetValue(Json)) WriteJson(path, size, model, feature, featureProblem);
            else WriteText(path, size, model, feature, featureProblem);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteText(string path, long size, OnnxModel model, FeatureTensor? feature, string? featureProblem)
    {
        Console.WriteLine($"model      {path} ({size / 1024.0 / 1024.0:F1} MiB, IR v{model.IrVersion})");
        Console.WriteLine($"producer   {model.ProducerName} {model.ProducerVersion}".TrimEnd());
        Console.WriteLine($"opsets     {string.Join(", ", model.OpsetImports)}");
        Console.WriteLine($"nodes      {model.NodeCount} ({string.Join(", ", OpCounts(model).Take(8).Select(c => $"{c.Op} {c.Count}"))})");
        Console.WriteLine($"weights    {model.Initializers.Count} initializers, {model.Initializers.Sum(i => i.ByteSize) / 1024.0 / 1024.0:F1} MiB" +
                          (model.HasExternalData ? ", external data" : ""));
        foreach (var input in model.Inputs) Console.WriteLine($"input      {input}");
        foreach (var output in model.Outputs) Console.WriteLine($"output     {output}");
        Console.WriteLine(feature is not null
            ? $"features   {feature.Name} ({feature.ElementType.DisplayName()}, dim {feature.Dimension}, {feature.Layout}) — {feature.Explain()}"
            : $"features   not located: {featureProblem}");
        foreach (var (key, value) in model.Metadata) Console.WriteLine($"metadata   {key} = {Abbreviate(value)}");
    }

    private static void WriteJson(string path, long size, OnnxModel model, FeatureTensor? feature, string? featureProblem)
    {
        var opsets = new Dictionary<string, long>();
        foreach (var opset in model.OpsetImports) opsets[opset.Domain.Length == 0 ? "ai.onnx" : opset.Domain] = opset.Version;
        object featureJson = feature is null
            ? new FeatureProblemJson(featureProblem)
            : new FeatureJson(feature.Name, feature.ElementType.DisplayName(), feature.Dimension, feature.Layout.ToString(),
                feature.Classifier.Describe(), feature.NumberOfClasses);
        CliJson.Print(new ModelJson(path, size, model.IrVersion, $"{model.ProducerName} {model.ProducerVersion}".TrimEnd(), opsets, model.NodeCount,
            Tensors(model.Inputs), Tensors(model.Outputs), featureJson, model.Metadata), CliJson.Default.ModelJson);
    }

    private static TensorJson[] Tensors(IEnumerable<TensorInfo> tensors) =>
        tensors.Select(t => new TensorJson(t.Name, t.ElementType.DisplayName(), t.Shape?.Dimensions)).ToArray();

    /// <summary><c>inspect --json</c>. <see cref="FeatureTensor"/> is a <see cref="FeatureJson"/> or, when none was located, a <see cref="FeatureProblemJson"/>.</summary>
    internal sealed record ModelJson(string Path, long Bytes, long IrVersion, string Producer, Dictionary<string, long> Opsets, int Nodes,
        TensorJson[] Inputs, TensorJson[] Outputs, object FeatureTensor, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>A tensor; the shape is left out when the model does not declare one.</summary>
    internal sealed record TensorJson(string Name, string ElementType,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<TensorDimension>? Shape);

    internal sealed record FeatureJson(string Name, string ElementType, int Dim, string Layout, string Classifier, long Classes);

    internal sealed record FeatureProblemJson(string? Error);

    private static IEnumerable<(string Op, int Count)> OpCounts(OnnxModel model) =>
        model.Nodes.GroupBy(n => n.OpType).Select(g => (g.Key, g.Count())).OrderByDescending(c => c.Item2).ThenBy(c => c.Key, StringComparer.Ordinal);

    private static string Abbreviate(string value) => value.Length <= 100 ? value : value[..97] + "...";
}
