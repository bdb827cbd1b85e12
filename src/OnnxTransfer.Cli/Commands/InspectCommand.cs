using System.CommandLine;
using System.Text.Json.Serialization;
using OnnxTransfer.Cli.Infrastructure;
using OnnxTransfer.Cli.Json;
using OnnxTransfer.Features.Models;

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
            var report = ModelReport.Read(parseResult.GetValue(Model)!);
            if (parseResult.GetValue(Json)) WriteJson(report);
            else WriteText(report);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteText(ModelReport model)
    {
        Console.WriteLine($"model      {model.Path} ({model.Bytes / 1024.0 / 1024.0:F1} MiB, IR v{model.IrVersion})");
        Console.WriteLine($"producer   {model.Producer}");
        Console.WriteLine($"opsets     {string.Join(", ", model.Opsets)}");
        Console.WriteLine($"nodes      {model.NodeCount} ({string.Join(", ", model.OpCounts.Take(8).Select(c => $"{c.Op} {c.Count}"))})");
        Console.WriteLine($"weights    {model.InitializerCount} initializers, {model.WeightBytes / 1024.0 / 1024.0:F1} MiB" +
                          (model.HasExternalData ? ", external data" : ""));
        foreach (var input in model.Inputs) Console.WriteLine($"input      {input.Display}");
        foreach (var output in model.Outputs) Console.WriteLine($"output     {output.Display}");
        Console.WriteLine(model.Feature is { } feature
            ? $"features   {feature.Name} ({feature.ElementType}, dim {feature.Dimension}, {feature.Layout}) — {feature.Explanation}"
            : $"features   not located: {model.FeatureProblem}");
        foreach (var (key, value) in model.Metadata) Console.WriteLine($"metadata   {key} = {Abbreviate(value)}");
    }

    private static void WriteJson(ModelReport model)
    {
        var opsets = new Dictionary<string, long>();
        foreach (var opset in model.Opsets) opsets[opset.Domain] = opset.Version;
        object featureJson = model.Feature is not { } feature
            ? new FeatureProblemJson(model.FeatureProblem)
            : new FeatureJson(feature.Name, feature.ElementType, feature.Dimension, feature.Layout, feature.Classifier, feature.Classes);
        CliJson.Print(new ModelJson(model.Path, model.Bytes, model.IrVersion, model.Producer, opsets, model.NodeCount,
            Tensors(model.Inputs), Tensors(model.Outputs), featureJson, model.Metadata), CliJson.Default.ModelJson);
    }

    private static TensorJson[] Tensors(IEnumerable<TensorReport> tensors) => tensors.Select(t => new TensorJson(t.Name, t.ElementType, t.Shape)).ToArray();

    /// <summary><c>inspect --json</c>. <see cref="FeatureTensor"/> is a <see cref="FeatureJson"/> or, when none was located, a <see cref="FeatureProblemJson"/>.</summary>
    internal sealed record ModelJson(string Path, long Bytes, long IrVersion, string Producer, Dictionary<string, long> Opsets, int Nodes,
        TensorJson[] Inputs, TensorJson[] Outputs, object FeatureTensor, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>A tensor; the shape is left out when the model does not declare one.</summary>
    internal sealed record TensorJson(string Name, string ElementType,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ShapeDimension>? Shape);

    internal sealed record FeatureJson(string Name, string ElementType, int Dim, string Layout, string Classifier, long Classes);

    internal sealed record FeatureProblemJson(string? Error);

    private static string Abbreviate(string value) => value.Length <= 100 ? value : value[..97] + "...";
}
