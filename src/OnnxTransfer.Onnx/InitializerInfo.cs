namespace OnnxTransfer.Onnx;

/// <summary>
/// A constant tensor of the graph (a weight): its type, dimensions, size in bytes and, when its bytes live in a separate
/// file, where.
/// </summary>
public sealed record InitializerInfo(
    string Name,
    OnnxDataType ElementType,
    IReadOnlyList<long> Dims,
    long ElementCount,
    long ByteSize,
    ExternalDataReference? ExternalData)
{
    public bool IsExternal => ExternalData is not null;
}
