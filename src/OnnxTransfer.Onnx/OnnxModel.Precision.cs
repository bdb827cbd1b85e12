namespace OnnxTransfer.Onnx;

public sealed partial class OnnxModel
{
    /// <summary>
    /// True when the main graph holds float16 or bfloat16 tensors (weights, inputs, outputs, declared values, casts or
    /// constants): it computes in half precision somewhere, whatever precision its caller asks for.
    /// </summary>
    public bool HasHalfPrecisionTensors => Float16Conversion.HasHalfPrecision(Graph);

    /// <summary>
    /// Makes the model compute in float16 while its inputs and outputs stay float32 (casts inside): for a GPU's half-precision
    /// tensor cores. Weights and constants beyond float16's range are stored as ±65504 (counted in the result). A graph that
    /// already holds float16 tensors only gets casts on its float16 inputs and outputs. Meant for float graphs: a quantised
    /// (QDQ/int8) graph's float scales would become float16 too, which older quantisation operators refuse.
    /// </summary>
    /// <exception cref="OnnxModelException">The graph has subgraphs (If/Loop/Scan), local functions or float32 sparse weights.</exception>
    public Float16ConversionResult ConvertToFloat16() => Float16Conversion.Convert(this);
}
