namespace OnnxTransfer.Imaging;

/// <summary>Why an image could not be decoded. <see cref="ImageDecodeErrors.Code"/> gives the short code for error rows.</summary>
public enum ImageDecodeError
{
    /// <summary><c>empty-file</c>: the file or buffer has no bytes.</summary>
    EmptyFile,
    /// <summary><c>not-found</c>: no file at that path.</summary>
    NotFound,
    /// <summary><c>io-error</c>: the file exists but could not be read (permissions, device, invalid path).</summary>
    IoError,
    /// <summary><c>file-too-large</c>: more bytes than <see cref="ImageDecoderOptions.MaxFileBytes"/>.</summary>
    FileTooLarge,
    /// <summary><c>not-an-image</c>: no image signature at all (text, HTML error page, random bytes).</summary>
    NotAnImage,
    /// <summary><c>unsupported-format</c>: an image format this libvips cannot read, or one not allowed by the options.</summary>
    UnsupportedFormat,
    /// <summary><c>too-many-pixels</c>: the header announces more pixels than <see cref="ImageDecoderOptions.MaxPixels"/>.</summary>
    TooManyPixels,
    /// <summary><c>truncated</c>: the data stops before the image ends.</summary>
    Truncated,
    /// <summary><c>corrupt</c>: a recognised format whose data is damaged.</summary>
    Corrupt,
    /// <summary><c>unsupported-pixel-format</c>: pixels (bands, depth, colour space) that cannot be turned into RGB.</summary>
    UnsupportedPixelFormat,
}

/// <summary>Short, stable, machine-friendly codes for <see cref="ImageDecodeError"/>.</summary>
public static class ImageDecodeErrors
{
    public static string Code(this ImageDecodeError error) => error switch
    {
        ImageDecodeError.EmptyFile => "empty-file",
        ImageDecodeError.NotFound => "not-found",
        ImageDecodeError.IoError => "io-error",
        ImageDecodeError.FileTooLarge => "file-too-large",
        ImageDecodeError.NotAnImage => "not-an-image",
        ImageDecodeError.UnsupportedFormat => "unsupported-format",
        ImageDecodeError.TooManyPixels => "too-many-pixels",
        ImageDecodeError.Truncated => "truncated",
        ImageDecodeError.Corrupt => "corrupt",
        ImageDecodeError.UnsupportedPixelFormat => "unsupported-pixel-format",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };
}
