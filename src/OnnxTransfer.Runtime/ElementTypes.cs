using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Runtime;

/// <summary>
/// ONNX Runtime's element types are ONNX's <c>TensorProto.DataType</c> numbers, so their sizes and names are
/// <see cref="OnnxDataType"/>'s, kept in one table there.
/// </summary>
public static class ElementTypes
{
    public static OnnxDataType ToOnnx(this TensorElementType type) => (OnnxDataType)(int)type;

    /// <summary>Bytes per element; 0 for types without a whole-byte size (strings, 4-bit types).</summary>
    public static int SizeInBytes(this TensorElementType type) => type.ToOnnx().SizeInBits() / 8;

    /// <summary>The ONNX spelling: float, int64, uint8, …</summary>
    public static string DisplayName(this TensorElementType type) => type.ToOnnx().DisplayName();
}
