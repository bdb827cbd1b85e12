namespace OnnxTransfer.Runtime;

/// <summary>ONNX Runtime's <c>OrtErrorCode</c>, numbered as in <c>onnxruntime_error_code.h</c>.</summary>
public enum OrtErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    /// <summary>Despite its historical name: the session is in the wrong state for the call.</summary>
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    ExecutionProviderFailure = 11,
    ModelLoadCanceled = 12,
    ModelRequiresCompilation = 13,
    NotFound = 14,
    DeviceReset = 15,
}
