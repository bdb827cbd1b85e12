using OnnxTransfer.Onnx;

namespace OnnxTransfer.Features.Numerics;

/// <summary>
/// A model made to compute at the precision asked, for backbones and fused models alike: fp16 converts a float32 graph
/// in memory (float32 inputs and outputs kept); a graph that already computes in float16 runs only as fp16, so that
/// what a cache or a report says about numerics is what made the numbers.
/// </summary>
public static class ModelPrecision
{
    /// <summary>Why <paramref name="model"/> cannot run at <paramref name="precision"/> (the fix named), or null.</summary>
    public static string? Refusal(OnnxModel model, ComputePrecision precision)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (precision != ComputePrecision.Fp16)
            return model.HasHalfPrecisionTensors
                ? "the model computes in float16, so its numbers are fp16 numerics: run it with --precision fp16 (recorded as " +
                  "such; fast with --device cuda), or use the float32 model."
                : null;
        return QuantizedGraph.Detect(model)
            ? "--precision fp16 runs a float32 model in half precision, but this one is int8-quantised: run it as it is (--precision fp32)."
            : null;
    }

    /// <summary>
    /// Converts <paramref name="model"/> for fp16 (nothing for other precisions) and says what was converted.
    /// </summary>
    /// <exception cref="OnnxModelException">The graph cannot be converted (control flow, local functions).</exception>
    public static string? Apply(OnnxModel model, ComputePrecision precision)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (precision != ComputePrecision.Fp16) return null;
        var converted = model.ConvertToFloat16();
        return converted.Initializers == 0
            ? "Precision fp16: the model already computes in float16; it runs as it is, with float32 inputs and outputs."
            : $"Precision fp16: {converted.Initializers} weight tensors and {converted.Constants} constants converted to float16" +
              (converted.Saturated > 0 ? $" ({converted.Saturated} values beyond ±65504 stored as ±65504)" : "") +
              (converted.KeptInFloat32 > 0 ? $", {converted.KeptInFloat32} nodes kept in float32" : "") +
              "; the numbers differ from fp32 ones (`onnxtransfer verify` against an fp32 cache measures by how much).";
    }
}
