using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// The words specs and fingerprints use for settings. One table per setting, both directions, so the reader, the
/// writer and the fingerprint can never disagree.
/// </summary>
public static class SpecNames
{
    private static readonly (BackboneKind Value, string Name)[] Kinds = [(BackboneKind.Image, "image"), (BackboneKind.Text, "text")];

    private static readonly (ResizeMode Value, string Name)[] Recipes =
    [
        (ResizeMode.ShorterSideThenCenterCrop, "resize-shorter-center-crop"), (ResizeMode.Stretch, "stretch"), (ResizeMode.Letterbox, "letterbox"),
    ];

    private static readonly (ResampleFilter Value, string Name)[] Filters =
    [
        (ResampleFilter.Box, "box"), (ResampleFilter.Bilinear, "bilinear"), (ResampleFilter.Hamming, "hamming"),
        (ResampleFilter.Bicubic, "bicubic"), (ResampleFilter.Lanczos, "lanczos"),
    ];

    private static readonly (PixelScale Value, string Name)[] Scales = [(PixelScale.UnitInterval, "unit"), (PixelScale.Byte, "byte")];

    private static readonly (ChannelOrder Value, string Name)[] ChannelOrders = [(ChannelOrder.Rgb, "RGB"), (ChannelOrder.Bgr, "BGR")];

    private static readonly (AlphaHandling Value, string Name)[] Alphas = [(AlphaHandling.Discard, "discard"), (AlphaHandling.Flatten, "flatten")];

    private static readonly (TensorLayout Value, string Name)[] Layouts = [(TensorLayout.Nchw, "NCHW"), (TensorLayout.Nhwc, "NHWC")];

    private static readonly (FeaturePooling Value, string Name)[] Poolings = [(FeaturePooling.None, "none"), (FeaturePooling.GlobalAverage, "global-average")];

    private static readonly (TextPooling Value, string Name)[] TextPoolings =
    [
        (TextPooling.Mean, "mean"), (TextPooling.Cls, "cls"), (TextPooling.Max, "max"), (TextPooling.PooledOutput, "pooled-output"),
    ];

    public static string Of(BackboneKind value) => NameOf(Kinds, value);
    public static string Of(ResizeMode value) => NameOf(Recipes, value);
    public static string Of(ResampleFilter value) => NameOf(Filters, value);
    public static string Of(PixelScale value) => NameOf(Scales, value);
    public static string Of(ChannelOrder value) => NameOf(ChannelOrders, value);
    public static string Of(AlphaHandling value) => NameOf(Alphas, value);
    public static string Of(TensorLayout value) => NameOf(Layouts, value);
    public static string Of(FeaturePooling value) => NameOf(Poolings, value);
    public static string Of(TextPooling value) => NameOf(TextPoolings, value);

    internal static BackboneKind Kind(string name, string field) => Parse(Kinds, name, field);
    internal static ResizeMode Recipe(string name, string field) => Parse(Recipes, name, field);
    internal static ResampleFilter Filter(string name, string field) => Parse(Filters, name, field);
    internal static PixelScale Scale(string name, string field) => Parse(Scales, name, field);
    internal static ChannelOrder Channels(string name, string field) => Parse(ChannelOrders, name, field);
    internal static AlphaHandling Alpha(string name, string field) => Parse(Alphas, name, field);
    internal static TensorLayout Layout(string name, string field) => Parse(Layouts, name, field);
    internal static FeaturePooling Pooling(string name, string field) => Parse(Poolings, name, field);
    internal static TextPooling TextPoolingNamed(string name, string field) => Parse(TextPoolings, name, field);

    private static string NameOf<T>((T Value, string Name)[] table, T value) where T : struct, Enum
    {
        foreach (var (v, name) in table)
            if (EqualityComparer<T>.Default.Equals(v, value)) return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"No spec name for {typeof(T).Name}.{value}.");
    }

    private static T Parse<T>((T Value, string Name)[] table, string name, string field) where T : struct
    {
        foreach (var (v, n) in table)
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) return v;
        throw new BackboneSpecException($"{field} is \"{name}\"; use one of {string.Join(", ", table.Select(e => $"\"{e.Name}\""))}.");
    }
}
