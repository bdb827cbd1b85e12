using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Views;

/// <summary>
/// Writes views of one decoded image into the slots of an <see cref="ImageBatch"/>: the image is decoded and
/// preprocessed once, and each view is a transform of that tensor into its own slot (<see cref="InputView"/>), so K
/// views cost one decode and K slices of the batch the model runs anyway.
/// </summary>
internal sealed class ImageViews
{
    private readonly TensorLayout _layout;
    private readonly int _height, _width, _channels;

    public ImageViews(ImageBackbone backbone)
    {
        var settings = backbone.Preprocessor.Settings;
        _layout = settings.Layout;
        (_height, _width, _channels) = (settings.Height, settings.Width, 3);
    }

    /// <summary>Writes <paramref name="view"/> of <paramref name="original"/> (one preprocessed image) into <paramref name="destination"/>.</summary>
    public void Write(InputView view, ReadOnlySpan<float> original, Span<float> destination)
    {
        if (_layout == TensorLayout.Nhwc) view.ApplyChannelsLast(original, destination, _height, _width, _channels);
        else view.Apply(original, destination, _channels, _height, _width);
    }
}
