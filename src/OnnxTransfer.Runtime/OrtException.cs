namespace OnnxTransfer.Runtime;

/// <summary>An error reported by ONNX Runtime itself: its error code and its message, unchanged.</summary>
public class OrtException : Exception
{
    public OrtException(OrtErrorCode errorCode, string message)
        : base($"[ONNX Runtime {errorCode}] {message}")
    {
        ErrorCode = errorCode;
        NativeMessage = message;
    }

    public OrtException(OrtErrorCode errorCode, string message, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        NativeMessage = innerException is OrtException inner ? inner.NativeMessage : message;
    }

    public OrtErrorCode ErrorCode { get; }

    /// <summary>The message exactly as ONNX Runtime wrote it.</summary>
    public string NativeMessage { get; }
}
