using System.CommandLine;
using System.Text.Json;
using OnnxTransfer.Cli.Infrastructure;
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
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("path", path);
            json.WriteNumber("bytes", size);
            json.WriteNumber("ir_version", model.IrVersion);
            json.WriteString("producer", $"{model.ProducerName} {model.ProducerVersion}".TrimEnd());
            json.WriteStartObject("opsets");
            foreach (var opset in model.OpsetImports) json.WriteNumber(opset.Domain.Length == 0 ? "ai.onnx" : opset.Domain, opset.Version);
            json.WriteEndObject();
            json.WriteNumber("nodes", model.NodeCount);
            WriteTensors(json, "inputs", model.Inputs);
            WriteTensors(json, "outputs", model.Outputs);
            json.WriteStartObject("feature_tensor");
            if (feature is not null)
            {
                json.WriteString("name", feature.Name);
                json.WriteString("element_type", feature.ElementType.DisplayName());
                json.WriteNumber("dim", feature.Dimension);
                json.WriteString("layout", feature.Layout.ToString());
                json.WriteString("classifier", feature.Classifier.Describe());
                json.WriteNumber("classes", feature.NumberOfClasses);
            }
            else
            {
                json.WriteString("error", featureProblem);
            }
            json.WriteEndObject();
            json.WriteStartObject("metadata");
            foreach (var (key, value) in model.Metadata) json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    private static void WriteTensors(Utf8JsonWriter json, string name, IEnumerable<TensorInfo> tensors)
    {
        json.WriteStartArray(name);
        foreach (var tensor in tensors)
        {
            json.WriteStartObject();
            json.WriteString("name", tensor.Name);
            json.WriteString("element_type", tensor.ElementType.DisplayName());
            if (tensor.Shape is { } shape)
            {
                json.WriteStartArray("shape");
                foreach (var dim in shape.Dimensions)
                {
                    if (dim.Value is { } value) json.WriteNumberValue(value);
                    else if (dim.Symbol is { } symbol) json.WriteStringValue(symbol);
                    else json.WriteNullValue();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static IEnumerable<(string Op, int Count)> OpCounts(OnnxModel model) =>
        model.Nodes.GroupBy(n => n.OpType).Select(g => (g.Key, g.Count())).OrderByDescending(c => c.Item2).ThenBy(c => c.Key, StringComparer.Ordinal);

    private static string Abbreviate(string value) => value.Length <= 100 ? value : value[..97] + "...";
}
