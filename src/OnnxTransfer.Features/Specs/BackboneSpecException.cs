namespace OnnxTransfer.Features.Specs;

/// <summary>
/// A backbone spec (or the model it names) cannot be used: missing or invalid file, unknown field, sha256 mismatch,
/// feature tensor not in the model, input that does not fit. The message says what is wrong and what to do.
/// </summary>
public sealed class BackboneSpecException : OnnxTransferException
{
    public BackboneSpecException(string message) : base(message) { }

    public BackboneSpecException(string message, Exception innerException) : base(message, innerException: innerException) { }
}
