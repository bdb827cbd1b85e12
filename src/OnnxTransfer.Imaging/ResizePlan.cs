namespace OnnxTransfer.Imaging;

/// <summary>
/// Where the output window lies on the resized image: the image is resampled to <see cref="ResizedWidth"/> ×
/// <see cref="ResizedHeight"/> and the output shows the window starting at (<see cref="Left"/>, <see cref="Top"/>) of it.
/// Negative offsets (and windows larger than the image) mean padding.
/// </summary>
internal readonly record struct ResizePlan(int ResizedWidth, int ResizedHeight, int Left, int Top)
{
    internal static ResizePlan For(PreprocessSettings settings, int width, int height)
    {
        int outWidth = settings.Width, outHeight = settings.Height;
        switch (settings.Mode)
        {
            case ResizeMode.Stretch:
                return new ResizePlan(outWidth, outHeight, 0, 0);

            case ResizeMode.Letterbox:
            {
                var scale = Math.Min((double)outWidth / width, (double)outHeight / height);
                var resizedWidth = Math.Clamp((int)Math.Round(width * scale), 1, outWidth);
                var resizedHeight = Math.Clamp((int)Math.Round(height * scale), 1, outHeight);
                return new ResizePlan(resizedWidth, resizedHeight, -((outWidth - resizedWidth) / 2), -((outHeight - resizedHeight) / 2));
            }

            default:
            {
                // torchvision: the long side is int(s * long / short), a truncated float quotient.
                var shorter = settings.ResizeShorterSide;
                int resizedWidth, resizedHeight;
                if (width <= height)
                {
                    resizedWidth = shorter;
                    resizedHeight = (int)((double)((long)shorter * height) / width);
                }
                else
                {
                    resizedHeight = shorter;
                    resizedWidth = (int)((double)((long)shorter * width) / height);
                }
                return new ResizePlan(resizedWidth, resizedHeight,
                    CenterCropOffset(resizedWidth, outWidth), CenterCropOffset(resizedHeight, outHeight));
            }
        }
    }

    /// <summary>
    /// torchvision's CenterCrop: <c>int(round((size - crop) / 2.0))</c> (Python rounds halves to even, as
    /// <see cref="Math.Round(double)"/> does); when the image is smaller it is first padded by <c>(crop - size) // 2</c>.
    /// </summary>
    private static int CenterCropOffset(int size, int crop) =>
        crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);
}
