namespace OnnxTransfer.Imaging;

/// <summary>
/// A libvips call failed, or libvips itself is missing or too old. Carries libvips' own message unchanged in
/// <see cref="NativeMessage"/>. Image decoding wraps these into <see cref="ImageDecodeException"/> with a reason code.
/// </summary>
public class VipsException : OnnxTransferException
{
    public VipsException(string operation, string nativeMessage)
        : base(string.IsNullOrWhiteSpace(nativeMessage)
            ? $"libvips '{operation}' failed (libvips gave no message)."
            : $"libvips '{operation}' failed: {nativeMessage}")
    {
        Operation = operation;
        NativeMessage = nativeMessage;
    }

    public VipsException(string operation, string message, Exception? innerException)
        : base(message, innerException: innerException)
    {
        Operation = operation;
        NativeMessage = "";
    }

    /// <summary>The libvips operation or function that failed, e.g. <c>jpegload_buffer</c> or <c>vips_init</c>.</summary>
    public string Operation { get; }

    /// <summary>libvips' error buffer as it was after the failure (may be empty).</summary>
    public string NativeMessage { get; }
}
