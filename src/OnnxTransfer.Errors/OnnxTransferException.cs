namespace OnnxTransfer;

/// <summary>
/// A failure the user can fix, whose message already names the file or setting and the fix. Every module's own
/// exceptions derive from it, so a front end shows one line for this type and treats anything else as a bug.
/// </summary>
public class OnnxTransferException : Exception
{
    public OnnxTransferException(string message, ErrorCategory category = ErrorCategory.InvalidInput, Exception? innerException = null)
        : base(message, innerException)
    {
        Category = category;
    }

    public ErrorCategory Category { get; }
}
