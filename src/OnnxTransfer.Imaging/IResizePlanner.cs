namespace OnnxTransfer.Imaging;

/// <summary>
/// Says what size an image will be resized to, so that <see cref="ImageDecoder"/> can shrink on load without going
/// below twice that size. <see cref="ImagePreprocessor"/> implements it.
/// </summary>
public interface IResizePlanner
{
    /// <summary>The size the whole (upright) <paramref name="width"/> × <paramref name="height"/> image is resampled to.</summary>
    (int Width, int Height) ResizedSize(int width, int height);
}
