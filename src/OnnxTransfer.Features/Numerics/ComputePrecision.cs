namespace OnnxTransfer.Features.Numerics;

/// <summary>
/// The float precision a backbone is asked to compute in. TF32 and FP16 are CUDA speed settings that change the
/// embeddings' last digits (TF32) or more (FP16), so a cache records which one made it. FP16 also runs on CPU (the model
/// converted to float16; ONNX Runtime casts around the operators it has no float16 kernel for): slower than fp32 there,
/// it lets a float16 model or fp16's effect be checked without a GPU. TF32 exists on CUDA only.
/// </summary>
public enum ComputePrecision
{
    /// <summary>IEEE single precision everywhere (the default).</summary>
    Fp32,

    /// <summary>CUDA: matrix products and convolutions on tensor cores with TF32 inputs (10-bit mantissa), fp32 accumulation.</summary>
    Tf32,

    /// <summary>Half precision: the model converted to float16 in memory, float32 inputs and outputs kept.</summary>
    Fp16,
}

/// <summary>The names of <see cref="ComputePrecision"/> in options, manifests and messages.</summary>
public static class ComputePrecisionNames
{
    public static string Of(ComputePrecision precision) => precision switch
    {
        ComputePrecision.Tf32 => "tf32",
        ComputePrecision.Fp16 => "fp16",
        _ => "fp32",
    };

    /// <summary>Parses "fp32", "tf32" or "fp16" (case-insensitive); null for anything else.</summary>
    public static ComputePrecision? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "fp32" => ComputePrecision.Fp32,
        "tf32" => ComputePrecision.Tf32,
        "fp16" => ComputePrecision.Fp16,
        _ => null,
    };
}
