namespace OnnxTransfer.Imaging;

/// <summary>How the decoded image is brought to the network's input size.</summary>
public enum ResizeMode
{
    /// <summary>
    /// torchvision's <c>Resize(s)</c> then <c>CenterCrop(h, w)</c>: the shorter side becomes
    /// <see cref="PreprocessSettings.ResizeShorterSide"/> (the longer one <c>int(s × long / short)</c>), then the centre
    /// is cut out. The standard ImageNet recipe is s = 256, crop 224.
    /// </summary>
    ShorterSideThenCenterCrop,

    /// <summary>torchvision's <c>Resize((h, w))</c>: straight to the output size, aspect ratio not kept.</summary>
    Stretch,

    /// <summary>Fit inside the output size keeping the aspect ratio, centred, the rest filled with <see cref="PreprocessSettings.PadColor"/>.</summary>
    Letterbox,
}

/// <summary>Order of the tensor's dimensions.</summary>
public enum TensorLayout
{
    /// <summary>Channels first, [3, H, W] per image (PyTorch, most ONNX exports).</summary>
    Nchw,
    /// <summary>Channels last, [H, W, 3] per image (TensorFlow/Keras exports).</summary>
    Nhwc,
}

/// <summary>Order of the colour channels in the tensor.</summary>
public enum ChannelOrder
{
    Rgb,
    /// <summary>Caffe / OpenCV-trained models.</summary>
    Bgr,
}

/// <summary>What a pixel value is before mean and std are applied.</summary>
public enum PixelScale
{
    /// <summary>0–1 (torchvision's <c>ToTensor</c>: value / 255).</summary>
    UnitInterval,
    /// <summary>0–255, for models that fold their normalisation into the graph.</summary>
    Byte,
}

/// <summary>PIL's resampling filters (all antialiased when downscaling: the support grows with the scale).</summary>
public enum ResampleFilter
{
    Box,
    /// <summary>Triangle filter: torchvision's default <c>InterpolationMode.BILINEAR</c> on PIL images.</summary>
    Bilinear,
    Hamming,
    /// <summary>Cubic convolution, a = −0.5 (timm's usual choice).</summary>
    Bicubic,
    Lanczos,
}

/// <summary>One value per colour channel, in R, G, B order whatever the tensor's channel order.</summary>
public readonly record struct ChannelValues(float R, float G, float B)
{
    /// <summary>torchvision's ImageNet mean (for <see cref="PixelScale.UnitInterval"/>).</summary>
    public static ChannelValues ImageNetMean => new(0.485f, 0.456f, 0.406f);

    /// <summary>torchvision's ImageNet std (for <see cref="PixelScale.UnitInterval"/>).</summary>
    public static ChannelValues ImageNetStd => new(0.229f, 0.224f, 0.225f);

    public static ChannelValues Zero => new(0f, 0f, 0f);
    public static ChannelValues One => new(1f, 1f, 1f);

    public float this[int channel] => channel switch { 0 => R, 1 => G, 2 => B, _ => throw new ArgumentOutOfRangeException(nameof(channel)) };
}

/// <summary>
/// The preprocessing a backbone expects, as plain data (the backbone spec fills it). The defaults are torchvision's
/// ImageNet recipe: Resize(256) → CenterCrop(224) → ToTensor → Normalize(ImageNet mean, std), bilinear, NCHW, RGB.
/// </summary>
public sealed record PreprocessSettings
{
    /// <summary>The torchvision ImageNet evaluation recipe (ResNet, MobileNet, …).</summary>
    public static PreprocessSettings ImageNet => new();

    public ResizeMode Mode { get; init; } = ResizeMode.ShorterSideThenCenterCrop;

    /// <summary>The shorter side after resizing, for <see cref="ResizeMode.ShorterSideThenCenterCrop"/>.</summary>
    public int ResizeShorterSide { get; init; } = 256;

    /// <summary>Output (tensor) width.</summary>
    public int Width { get; init; } = 224;

    /// <summary>Output (tensor) height.</summary>
    public int Height { get; init; } = 224;

    public ResampleFilter Filter { get; init; } = ResampleFilter.Bilinear;

    public PixelScale Scale { get; init; } = PixelScale.UnitInterval;

    /// <summary>Subtracted per channel, in the units of <see cref="Scale"/>. <see cref="ChannelValues.Zero"/> for none.</summary>
    public ChannelValues Mean { get; init; } = ChannelValues.ImageNetMean;

    /// <summary>Divided by per channel, in the units of <see cref="Scale"/>. <see cref="ChannelValues.One"/> for none.</summary>
    public ChannelValues Std { get; init; } = ChannelValues.ImageNetStd;

    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>
    /// Fills what the image does not cover: the letterbox bars, and — as torchvision's CenterCrop pads with 0 — the
    /// border when the resized image is smaller than the crop.
    /// </summary>
    public RgbColor PadColor { get; init; } = RgbColor.Black;

    /// <summary>Elements of one image's tensor: 3 × <see cref="Width"/> × <see cref="Height"/>.</summary>
    public int TensorLength => 3 * Width * Height;

    internal void Validate()
    {
        const int largest = 16384;
        if (Width is < 1 or > largest || Height is < 1 or > largest)
            throw new ArgumentOutOfRangeException(nameof(Width), $"PreprocessSettings.Width and Height must be 1–{largest}; got {Width}×{Height}.");
        if (Mode == ResizeMode.ShorterSideThenCenterCrop && ResizeShorterSide is < 1 or > largest)
            throw new ArgumentOutOfRangeException(nameof(ResizeShorterSide), ResizeShorterSide,
                $"PreprocessSettings.ResizeShorterSide must be 1–{largest} (torchvision's Resize(s); 256 for the ImageNet recipe).");
        if (!Enum.IsDefined(Mode) || !Enum.IsDefined(Filter) || !Enum.IsDefined(Scale) || !Enum.IsDefined(Layout) || !Enum.IsDefined(ChannelOrder))
            throw new ArgumentException("PreprocessSettings has an undefined enum value.");
        for (var c = 0; c < 3; c++)
        {
            if (!float.IsFinite(Mean[c]))
                throw new ArgumentException($"PreprocessSettings.Mean[{c}] is {Mean[c]}; it must be a finite number.", nameof(Mean));
            if (!float.IsFinite(Std[c]) || Std[c] == 0f)
                throw new ArgumentException($"PreprocessSettings.Std[{c}] is {Std[c]}; it must be finite and non-zero (use ChannelValues.One for no scaling).", nameof(Std));
        }
    }
}
