using Microsoft.ML.OnnxRuntime;

namespace OnnxTransfer.Runtime;

/// <summary>ONNX Runtime tensors over our own buffers: pinned for the value's lifetime, never copied.</summary>
public static class TensorValues
{
    /// <summary>A tensor of <paramref name="shape"/> over <paramref name="memory"/> (dispose it to unpin).</summary>
    public static OrtValue Over<T>(Memory<T> memory, long[] shape) where T : unmanaged =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, shape);

    /// <summary>The dimensions of a tensor value.</summary>
    public static long[] ShapeOf(OrtValue value) => value.GetTensorTypeAndShape().Shape;

    /// <summary>"[1,3,224,224]".</summary>
    public static string Format(ReadOnlySpan<long> shape) => "[" + string.Join(",", shape.ToArray()) + "]";
}
