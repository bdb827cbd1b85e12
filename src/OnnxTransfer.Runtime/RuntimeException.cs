namespace OnnxTransfer.Runtime;

/// <summary>
/// ONNX Runtime refused something in a way a user can fix (the model, a provider). The message says what to do; the
/// inner exception, when there is one, is ONNX Runtime's own <c>OnnxRuntimeException</c>.
/// </summary>
public class RuntimeException : OnnxTransferException
{
    public RuntimeException(string message, Exception? cause = null, ErrorCategory category = ErrorCategory.InvalidInput)
        : base(message, category, cause) { }
}

/// <summary>ONNX Runtime refused the model itself (not a file, truncated, invalid graph, unsupported operator).</summary>
public sealed class ModelLoadException : RuntimeException
{
    public ModelLoadException(string? modelPath, string message, Exception? cause) : base(message, cause)
    {
        ModelPath = modelPath;
    }

    /// <summary>The model file, or null when it was given as bytes.</summary>
    public string? ModelPath { get; }
}

/// <summary>
/// A requested execution provider could not start and <see cref="ProviderFallback.Strict"/> was chosen. The message
/// names what is missing (the package, a library by file name, the driver) and how to fix it.
/// </summary>
public sealed class ExecutionProviderUnavailableException : RuntimeException
{
    public ExecutionProviderUnavailableException(string providerName, string message, Exception? cause)
        : base(message, cause, ErrorCategory.DeviceUnavailable)
    {
        ProviderName = providerName;
    }

    public string ProviderName { get; }
}
