namespace OnnxTransfer.Runtime;

/// <summary>ONNX Runtime refused the model itself (not a file, truncated, invalid graph, unsupported operator).</summary>
public sealed class ModelLoadException : OrtException
{
    public ModelLoadException(string? modelPath, string message, OrtException cause)
        : base(cause.ErrorCode, message, cause)
    {
        ModelPath = modelPath;
    }

    /// <summary>The model file, or null when it was given as bytes.</summary>
    public string? ModelPath { get; }
}
