using OnnxTransfer.Onnx;

namespace OnnxTransfer.Features.Numerics;

/// <summary>
/// Whether a model computes with integer arithmetic somewhere: QDQ pairs (QuantizeLinear/DequantizeLinear) or integer
/// operators (QLinearConv, MatMulInteger, …). Such a model gives different numbers on different providers: ONNX
/// Runtime's CPU provider fuses QDQ groups into int8 kernels, while CUDA runs most of them as dequantised float.
/// </summary>
public static class QuantizedGraph
{
    private static readonly HashSet<string> IntegerOperators = new(StringComparer.Ordinal)
    {
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
        "QLinearConv", "QLinearMatMul", "MatMulInteger", "ConvInteger",
        // com.microsoft contrib operators ONNX Runtime's quantiser emits.
        "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearConcat", "QLinearAveragePool",
        "QLinearGlobalAveragePool", "QLinearSoftmax", "QGemm", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QAttention",
    };

    /// <summary>True when any node of <paramref name="model"/> is a quantisation or integer operator.</summary>
    public static bool Detect(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var node in model.Proto.Graph.Node)
            if (IntegerOperators.Contains(node.OpType)) return true;
        return false;
    }
}
