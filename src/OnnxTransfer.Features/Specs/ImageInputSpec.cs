using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// The spec's <c>image</c> section: how an image file becomes the network's input, in Imaging's own types so each
/// setting is defined once. Defaults are torchvision's ImageNet evaluation recipe.
/// </summary>
public sealed record ImageInputSpec
{
    /// <summary>Resize, crop, scale, normalisation, channel order. Its <see cref="PreprocessSettings.Layout"/> is not
    /// the spec's: the layout is the model input's (<see cref="BackboneSpec.Layout"/>), applied by
    /// <see cref="ToPreprocessSettings"/>.</summary>
    public PreprocessSettings Preprocess { get; init; } = PreprocessSettings.ImageNet;

    /// <summary>EXIF rotation, alpha, shrink-on-load; the limits keep the decoder's defaults.</summary>
    public ImageDecoderOptions Decoding { get; init; } = new();

    /// <summary>The settings of <see cref="ImagePreprocessor"/> for a tensor laid out as <paramref name="layout"/>.</summary>
    public PreprocessSettings ToPreprocessSettings(TensorLayout layout) => Preprocess with { Layout = layout };

    /// <summary>The settings of <see cref="ImageDecoder"/>.</summary>
    public ImageDecoderOptions ToDecoderOptions() => Decoding;
}
