using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Specs;

/// <summary>
/// A backbone spec (<c>*.backbone.json</c>, format <c>onnxtransfer.backbone</c> version 1, see docs/formats.md): one
/// frozen network, how to feed it, and which tensor holds its features. Plain data; <see cref="BackboneSpecFile"/>
/// reads and writes it, <c>ImageBackbone.Load</c> / <c>TextBackbone.Load</c> turn it into a runnable backbone.
/// </summary>
public sealed record BackboneSpec
{
    public const string FormatName = "onnxtransfer.backbone";
    public const int FormatVersion = 1;

    /// <summary>A short name for logs and manifests, e.g. "mobilenetv2-int8".</summary>
    public required string Name { get; init; }

    public BackboneKind Kind { get; init; } = BackboneKind.Image;

    /// <summary>The model path as written in the spec (may hold <c>${VAR}</c> / <c>${VAR:-default}</c>; relative to <see cref="BaseDirectory"/>).</summary>
    public required string ModelPath { get; init; }

    /// <summary>The expected sha256 of the model file (lower-case hex); null when the spec does not pin the file.</summary>
    public string? ModelSha256 { get; init; }

    /// <summary>The model input fed with images; null when the model has exactly one input.</summary>
    public string? InputName { get; init; }

    /// <summary>Layout of the image input tensor.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    /// <summary>An image backbone's input (<paramref name="inputName"/>: the one the model resolved) as a line shows it: "input nchw 224×224".</summary>
    public string DescribeImageInput(string? inputName) => $"{inputName} {SpecNames.Of(Layout)} {Image!.Preprocess.Width}×{Image.Preprocess.Height}";

    /// <summary>An image backbone's preprocessing in words: "resize 256, centre crop 224×224".</summary>
    public string DescribeImagePreprocessing() => $"resize {Image!.Preprocess.ResizeShorterSide}, centre crop {Image.Preprocess.Width}×{Image.Preprocess.Height}";

    /// <summary>Decoding and preprocessing (image backbones).</summary>
    public ImageInputSpec? Image { get; init; }

    /// <summary>Tokenizer and pooling (text backbones).</summary>
    public TextInputSpec? Text { get; init; }

    public FeatureSpec Features { get; init; } = new();

    /// <summary>Free text for people: where the model comes from, licence, notes.</summary>
    public string? Description { get; init; }

    /// <summary>The folder relative paths are resolved against: the spec file's folder (current directory if unsaved).</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>The model file's full path: variables expanded, relative to <see cref="BaseDirectory"/>.</summary>
    public string ResolveModelPath() => SpecPaths.Resolve(ModelPath, BaseDirectory, "model.path");

    /// <summary>The image section, or an error saying this is not an image backbone.</summary>
    public ImageInputSpec RequireImage() => Kind == BackboneKind.Image && Image is not null
        ? Image
        : throw new BackboneSpecException($"Backbone '{Name}' is a {Kind.ToString().ToLowerInvariant()} backbone; this needs an image backbone (\"kind\": \"image\" with an \"image\" section).");

    /// <summary>The text section, or an error saying this is not a text backbone.</summary>
    public TextInputSpec RequireText() => Kind == BackboneKind.Text && Text is not null
        ? Text
        : throw new BackboneSpecException($"Backbone '{Name}' is a {Kind.ToString().ToLowerInvariant()} backbone; this needs a text backbone (\"kind\": \"text\" with a \"text\" section).");
}
