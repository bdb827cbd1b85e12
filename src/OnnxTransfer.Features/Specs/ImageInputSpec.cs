using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// The spec's <c>image</c> section: how an image file becomes the network's input (decoding and torchvision-style
/// preprocessing). Defaults are torchvision's ImageNet evaluation recipe.
/// </summary>
public sealed record ImageInputSpec
{
    /// <summary>How the image is brought to <see cref="Width"/> × <see cref="Height"/>.</summary>
    public ResizeMode Recipe { get; init; } = ResizeMode.ShorterSideThenCenterCrop;

    /// <summary>The shorter side after resizing (for the resize-then-crop recipe).</summary>
    public int Resize { get; init; } = 256;

    public int Width { get; init; } = 224;

    public int Height { get; init; } = 224;

    public ResampleFilter Filter { get; init; } = ResampleFilter.Bilinear;

    public PixelScale Scale { get; init; } = PixelScale.UnitInterval;

    public ChannelValues Mean { get; init; } = ChannelValues.ImageNetMean;

    public ChannelValues Std { get; init; } = ChannelValues.ImageNetStd;

    public ChannelOrder Channels { get; init; } = ChannelOrder.Rgb;

    public AlphaHandling Alpha { get; init; } = AlphaHandling.Discard;

    /// <summary>The colour alpha is flattened onto (only with <see cref="AlphaHandling.Flatten"/>).</summary>
    public RgbColor Background { get; init; } = RgbColor.White;

    /// <summary>Fill for letterbox bars and crops larger than the resized image.</summary>
    public RgbColor Pad { get; init; } = RgbColor.Black;

    /// <summary>Apply the EXIF orientation (what a viewer shows). PIL does not; turn off to match a PIL pipeline exactly.</summary>
    public bool AutoRotate { get; init; } = true;

    /// <summary>Let big JPEGs decode at 1/2, 1/4 or 1/8 size when the image stays at least twice the resize target.</summary>
    public bool ShrinkOnLoad { get; init; } = true;

    /// <summary>The settings of <see cref="ImagePreprocessor"/> for a tensor laid out as <paramref name="layout"/>.</summary>
    public PreprocessSettings ToPreprocessSettings(TensorLayout layout) => new()
    {
        Mode = Recipe,
        ResizeShorterSide = Resize,
        Width = Width,
        Height = Height,
        Filter = Filter,
        Scale = Scale,
        Mean = Mean,
        Std = Std,
        Layout = layout,
        ChannelOrder = Channels,
        PadColor = Pad,
    };

    /// <summary>The settings of <see cref="ImageDecoder"/> (limits keep the decoder's defaults).</summary>
    public ImageDecoderOptions ToDecoderOptions() => new()
    {
        AutoRotate = AutoRotate,
        Alpha = Alpha,
        Background = Background,
        ShrinkOnLoad = ShrinkOnLoad,
    };
}
