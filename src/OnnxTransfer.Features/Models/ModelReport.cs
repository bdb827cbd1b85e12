using OnnxTransfer.Onnx;

namespace OnnxTransfer.Features.Models;

/// <summary>
/// What a model file holds, read as data (ONNX Runtime is not needed): inputs/outputs with types and shapes, opsets,
/// producer, metadata, operator counts, weights and the feature tensor a backbone spec would use. Plain values, so a
/// front end can show them without the ONNX library.
/// </summary>
public sealed record ModelReport(string Path, long Bytes, long IrVersion, string Producer, IReadOnlyList<OpsetReport> Opsets,
    int NodeCount, IReadOnlyList<(string Op, int Count)> OpCounts, int InitializerCount, long WeightBytes, bool HasExternalData,
    IReadOnlyList<TensorReport> Inputs, IReadOnlyList<TensorReport> Outputs, FeatureReport? Feature, string? FeatureProblem,
    IReadOnlyDictionary<string, string> Metadata)
{
    public static ModelReport Read(string path)
    {
        var model = OnnxModel.Load(path);
        FeatureReport? feature = null;
        string? problem = null;
        try
        {
            var located = new FeatureTensorLocator().Locate(model);
            feature = new FeatureReport(located.Name, located.ElementType.DisplayName(), located.Dimension, located.Layout.ToString(),
                located.Classifier.Describe(), located.NumberOfClasses, located.Explain());
        }
        catch (FeatureTensorNotFoundException e) { problem = e.Message; }
        var opCounts = model.Nodes.GroupBy(n => n.OpType).Select(g => (g.Key, g.Count()))
            .OrderByDescending(c => c.Item2).ThenBy(c => c.Key, StringComparer.Ordinal).ToArray();
        return new ModelReport(path, new FileInfo(path).Length, model.IrVersion, $"{model.ProducerName} {model.ProducerVersion}".TrimEnd(),
            [.. model.OpsetImports.Select(o => new OpsetReport(o.Domain.Length == 0 ? "ai.onnx" : o.Domain, o.Version))], model.NodeCount, opCounts,
            model.Initializers.Count, model.Initializers.Sum(i => i.ByteSize), model.HasExternalData,
            Tensors(model.Inputs), Tensors(model.Outputs), feature, problem, model.Metadata);
    }

    private static TensorReport[] Tensors(IEnumerable<TensorInfo> tensors) =>
        [.. tensors.Select(t => new TensorReport(t.Name, t.ElementType.DisplayName(), t.Shape?.Dimensions.Select(d => new ShapeDimension(d.Value, d.Symbol)).ToArray(), t.ToString()))];
}

/// <summary>An operator set the model imports; the default domain is named "ai.onnx".</summary>
public sealed record OpsetReport(string Domain, long Version)
{
    public override string ToString() => $"{Domain} v{Version}";
}

/// <summary>A model input or output; <paramref name="Shape"/> is null when the model declares none, <paramref name="Display"/> is its one-line form.</summary>
public sealed record TensorReport(string Name, string ElementType, IReadOnlyList<ShapeDimension>? Shape, string Display);

/// <summary>One dimension of a declared shape: its size, its symbol (e.g. "batch"), or neither when unknown.</summary>
public readonly record struct ShapeDimension(long? Size, string? Symbol);

/// <summary>The located feature tensor: what a backbone spec would cut at, and the classifier it feeds.</summary>
public sealed record FeatureReport(string Name, string ElementType, int Dimension, string Layout, string Classifier, long Classes, string Explanation);
