namespace OnnxTransfer.Onnx;

/// <summary>
/// A named tensor of a graph with its element type and shape; <see cref="Shape"/> is null when even the rank is unknown.
/// </summary>
public sealed record TensorInfo(string Name, OnnxDataType ElementType, TensorShape? Shape)
{
    /// <summary>Like "input: float [batch_size,3,224,224]".</summary>
    public override string ToString() => $"{Name}: {ElementType.DisplayName()} {Shape?.ToString() ?? "[rank unknown]"}";
}
