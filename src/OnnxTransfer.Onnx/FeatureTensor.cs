namespace OnnxTransfer.Onnx;

/// <summary>
/// The feature tensor of a classifier backbone as <see cref="FeatureTensorLocator"/> found it: the input of the layer
/// that produces the class logits, with the evidence for the choice.
/// </summary>
/// <param name="Name">The tensor to cut the backbone at, e.g. "/Flatten_output_0".</param>
/// <param name="ElementType">Its element type (float for the usual backbones, also quantised ones).</param>
/// <param name="Dimension">Features per example, from the classifier's weight shape (e.g. 1280).</param>
/// <param name="Shape">Its shape when declared or inferable, else null.</param>
/// <param name="Layout">Pooled, spatial, … (from the rank).</param>
/// <param name="Classifier">The layer that maps the features to logits (Gemm, MatMul or 1x1 Conv).</param>
/// <param name="ClassifierWeight">The classifier's weight tensor (an initializer, possibly behind DequantizeLinear).</param>
/// <param name="NumberOfClasses">Rows of the classifier weight: how many logits the backbone was trained for.</param>
/// <param name="StartOutput">The graph output the search walked back from.</param>
/// <param name="WalkedThrough">Nodes passed between that output and the classifier, and between the classifier and the
/// feature tensor (quantise/dequantise pairs), in walking order.</param>
public sealed record FeatureTensor(
    string Name,
    OnnxDataType ElementType,
    int Dimension,
    TensorShape? Shape,
    FeatureLayout Layout,
    NodeInfo Classifier,
    string ClassifierWeight,
    long NumberOfClasses,
    string StartOutput,
    IReadOnlyList<NodeInfo> WalkedThrough)
{
    /// <summary>One sentence for logs and the CLI, saying what was chosen and why.</summary>
    public string Explain()
    {
        var path = WalkedThrough.Count == 0 ? "" : $" through {string.Join(" → ", WalkedThrough.Select(n => n.OpType))}";
        return $"Feature tensor '{Name}' ({ElementType.DisplayName()}, {Dimension} features, {Layout.ToString().ToLowerInvariant()}" +
               $"{(Shape is null ? "" : $" {Shape}")}) is the input of classifier {Classifier.Describe()} " +
               $"(weight '{ClassifierWeight}', {NumberOfClasses} classes), found walking back from output '{StartOutput}'{path}.";
    }
}
