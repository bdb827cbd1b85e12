namespace OnnxTransfer.Runtime;

/// <summary>
/// A requested execution provider could not start and <see cref="ProviderFallback.Strict"/> was chosen. The message
/// names what is missing and how to fix it; <see cref="OrtException.NativeMessage"/> keeps ORT's own words.
/// </summary>
public sealed class ExecutionProviderUnavailableException : OrtException
{
    public ExecutionProviderUnavailableException(string providerName, string message, OrtException cause)
        : base(cause.ErrorCode, message, cause)
    {
        ProviderName = providerName;
    }

    public string ProviderName { get; }
}
