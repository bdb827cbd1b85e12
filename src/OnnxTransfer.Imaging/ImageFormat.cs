namespace OnnxTransfer.Imaging;

/// <summary>Encoded image formats the decoder recognises by their first bytes.</summary>
public enum ImageFormat
{
    Unknown = 0,
    Jpeg,
    Png,
    Gif,
    WebP,
    Tiff,
    Bmp,
    Heif,
    Avif,
    JpegXl,
    Jpeg2000,
    Ico,
    Psd,
    Pnm,
    Svg,
    Pdf,
}
