namespace OnnxTransfer.Onnx;

/// <summary>
/// Element types of ONNX tensors, numbered as <c>TensorProto.DataType</c> (the same numbers ONNX Runtime uses, so a
/// value converts to <c>OnnxTransfer.Runtime.TensorElementType</c> with a plain cast).
/// </summary>
public enum OnnxDataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
}

public static class OnnxDataTypeExtensions
{
    /// <summary>Bits per element, or 0 where the size is not fixed (string, undefined, unknown numbers).</summary>
    public static int SizeInBits(this OnnxDataType type) => type switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 32,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 8,
        OnnxDataType.Float8E4M3FN or OnnxDataType.Float8E4M3FNUZ or OnnxDataType.Float8E5M2
            or OnnxDataType.Float8E5M2FNUZ or OnnxDataType.Float8E8M0 => 8,
        OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 16,
        OnnxDataType.Int64 or OnnxDataType.UInt64 or OnnxDataType.Double or OnnxDataType.Complex64 => 64,
        OnnxDataType.Complex128 => 128,
        OnnxDataType.UInt4 or OnnxDataType.Int4 or OnnxDataType.Float4E2M1 => 4,
        OnnxDataType.UInt2 or OnnxDataType.Int2 => 2,
        _ => 0,
    };

    /// <summary>Bytes that <paramref name="elementCount"/> packed elements take (sub-byte types round up), 0 if unsized.</summary>
    public static long ByteCount(this OnnxDataType type, long elementCount) => (elementCount * type.SizeInBits() + 7) / 8;

    /// <summary>True for the floating-point types (float, double, float16, bfloat16 and the float8/float4 formats).</summary>
    public static bool IsFloatingPoint(this OnnxDataType type) => type is OnnxDataType.Float or OnnxDataType.Double
        or OnnxDataType.Float16 or OnnxDataType.BFloat16 or OnnxDataType.Float8E4M3FN or OnnxDataType.Float8E4M3FNUZ
        or OnnxDataType.Float8E5M2 or OnnxDataType.Float8E5M2FNUZ or OnnxDataType.Float8E8M0 or OnnxDataType.Float4E2M1;

    /// <summary>The lower-case name ONNX uses in its documentation and messages, e.g. "float", "int64".</summary>
    public static string DisplayName(this OnnxDataType type) => type switch
    {
        OnnxDataType.Undefined => "undefined",
        _ when Enum.IsDefined(type) => type.ToString().ToLowerInvariant(),
        _ => $"data type {(int)type}",
    };
}
