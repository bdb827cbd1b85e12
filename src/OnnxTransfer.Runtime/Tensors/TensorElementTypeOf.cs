namespace OnnxTransfer.Runtime;

/// <summary>The ONNX element type a .NET element type stands for (checked once per T, no reflection).</summary>
internal static class TensorElementTypeOf<T> where T : unmanaged
{
    public static readonly TensorElementType Value =
        typeof(T) == typeof(float) ? TensorElementType.Float :
        typeof(T) == typeof(double) ? TensorElementType.Double :
        typeof(T) == typeof(long) ? TensorElementType.Int64 :
        typeof(T) == typeof(int) ? TensorElementType.Int32 :
        typeof(T) == typeof(short) ? TensorElementType.Int16 :
        typeof(T) == typeof(sbyte) ? TensorElementType.Int8 :
        typeof(T) == typeof(ulong) ? TensorElementType.UInt64 :
        typeof(T) == typeof(uint) ? TensorElementType.UInt32 :
        typeof(T) == typeof(ushort) ? TensorElementType.UInt16 :
        typeof(T) == typeof(byte) ? TensorElementType.UInt8 :
        typeof(T) == typeof(bool) ? TensorElementType.Bool :
        typeof(T) == typeof(Half) ? TensorElementType.Float16 :
        TensorElementType.Undefined;

    /// <summary>
    /// Whether T may view elements of <paramref name="type"/>: the exact .NET type, or the raw bits of a type .NET
    /// has no exact match for (float16/bfloat16 as ushort, bool as byte).
    /// </summary>
    public static bool CanView(TensorElementType type) =>
        Value == type ||
        (typeof(T) == typeof(ushort) && type is TensorElementType.Float16 or TensorElementType.BFloat16) ||
        (typeof(T) == typeof(byte) && type == TensorElementType.Bool);
}
