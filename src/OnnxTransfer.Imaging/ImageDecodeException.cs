namespace OnnxTransfer.Imaging;

/// <summary>
/// One image could not be decoded. The extraction pipeline turns it into an error row (<see cref="ReasonCode"/>,
/// <see cref="Exception.Message"/>) and goes on; libvips is left clean (its error buffer is emptied).
/// </summary>
public sealed class ImageDecodeException : OnnxTransferException
{
    public ImageDecodeException(ImageDecodeError reason, string inputName, string message, string nativeMessage = "", Exception? innerException = null)
        : base($"{inputName}: {message}", innerException: innerException)
    {
        Reason = reason;
        InputName = inputName;
        NativeMessage = nativeMessage;
    }

    public ImageDecodeError Reason { get; }

    /// <summary>The short code, e.g. <c>truncated</c> or <c>too-many-pixels</c>.</summary>
    public string ReasonCode => Reason.Code();

    /// <summary>The file path, or the caller's name for decoded bytes.</summary>
    public string InputName { get; }

    /// <summary>libvips' message when libvips reported the failure; empty otherwise.</summary>
    public string NativeMessage { get; }
}
