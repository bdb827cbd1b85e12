using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxTransfer.Runtime;

/// <summary>Sizes and names of ONNX Runtime's tensor element types, for .npy files and messages.</summary>
public static class ElementTypes
{
    /// <summary>Bytes per element; 0 for types without a fixed size (strings).</summary>
    public static int SizeInBytes(this TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 => 8,
        TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool => 1,
        _ => 0,
    };

    /// <summary>The ONNX spelling: float, int64, uint8, …</summary>
    public static string DisplayName(this TensorElementType type) => type switch
    {
        TensorElementType.Float => "float",
        TensorElementType.Double => "double",
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Bool => "bool",
        TensorElementType.String => "string",
        _ => type.ToString().ToLowerInvariant(),
    };
}
