using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// The loaded backbone of an <c>extract</c> run, image or text, with what the command prints and the pipeline it runs;
/// owns the backbone.
/// </summary>
internal sealed class ExtractTarget : IDisposable
{
    private readonly ImageBackbone? _image;
    private readonly TextBackbone? _text;

    private ExtractTarget(ImageBackbone? image, TextBackbone? text)
    {
        _image = image;
        _text = text;
    }

    public static ExtractTarget ForImages(BackboneSpec spec, BackboneRunOptions options) => new(ImageBackbone.Load(spec, options), null);

    public static ExtractTarget ForTexts(BackboneSpec spec, BackboneRunOptions options, bool refuseLongTexts) =>
        new(null, TextBackbone.Load(spec, options, refuseLongTexts ? OverLengthPolicy.Refuse : OverLengthPolicy.Truncate));

    /// <summary>"images" or "texts", for progress and summary lines.</summary>
    public string Unit => _text is null ? "images" : "texts";

    public string ModelPath => _image?.ModelPath ?? _text!.ModelPath;

    public string FeatureTensor => _image?.FeatureTensor ?? _text!.FeatureTensor;

    public string? FeatureExplanation => _image?.FeatureExplanation;

    public int Dimension => _image?.Dimension ?? _text!.Dimension;

    /// <summary>How token vectors become one vector (", mean-pooled, max 128 tokens"); empty for images.</summary>
    public string Pooling => _text is null ? "" : $", {SpecNames.Of(_text.Spec.Text!.Pooling)}-pooled, at most {_text.MaxLength} tokens";

    public IReadOnlyList<string> Providers => _image?.ActiveProviders ?? _text!.ActiveProviders;

    public Formats.EmbeddingNumerics Numerics => _image?.Numerics ?? _text!.Numerics;

    public IReadOnlyList<string> Notes => _image?.Notes ?? _text!.Notes;

    public CacheManifest Manifest => _image is not null ? ExtractionPipeline.ManifestFor(_image) : ExtractionPipeline.ManifestFor(_text!);

    public ExtractionPipeline Pipeline(ExtractionOptions options) =>
        _image is not null ? new ExtractionPipeline(_image, options) : new ExtractionPipeline(_text!, options);

    public void Dispose()
    {
        _image?.Dispose();
        _text?.Dispose();
    }
}
