namespace OnnxTransfer.Inference;

/// <summary>
/// A model, head or option cannot be used for inference as asked (wrong head format, head and backbone that do not
/// belong together, a fused model without its preprocessing). Refused before any input is read; the message names the fix.
/// </summary>
public class InferenceException : OnnxTransferException
{
    public InferenceException(string message) : base(message) { }

    public InferenceException(string message, Exception innerException) : base(message, innerException: innerException) { }
}
