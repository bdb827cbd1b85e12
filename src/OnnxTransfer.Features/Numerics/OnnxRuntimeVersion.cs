using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Numerics;

/// <summary>The ONNX Runtime the backbones run on, as numerics record it ("onnxruntime 1.30.0"): the one seam to the runtime's version.</summary>
internal static class OnnxRuntimeVersion
{
    public static string Current => "onnxruntime " + RuntimeInfo.Version;
}
