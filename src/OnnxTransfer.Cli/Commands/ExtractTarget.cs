using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Cli.Commands;

/// <summary>
/// The loaded backbone of an <c>extract</c> run, image or text, with what the command prints and the pipeline it runs;
/// owns the backbone.
/// </summary>
internal sealed class ExtractTarget(Backbone backbone) : IDisposable
{
    public static ExtractTarget Load(BackboneSpec spec, BackboneRunOptions options, bool refuseLongTexts) =>
        new(Backbone.Load(spec, options, refuseLongTexts));

    public Backbone Backbone => backbone;

    /// <summary>"images" or "texts", for progress and summary lines.</summary>
    public string Unit => backbone.Spec.Kind == BackboneKind.Text ? "texts" : "images";

    /// <summary>How token vectors become one vector (", mean-pooled, max 128 tokens"); empty for images.</summary>
    public string Pooling => backbone.PoolingDescription;

    public CacheManifest Manifest => ExtractionPipeline.ManifestFor(backbone);

    /// <summary>The manifest of a cache with <paramref name="views"/> of every input (none: as <see cref="Manifest"/>).</summary>
    public CacheManifest ManifestWith(IReadOnlyList<Features.Views.InputView> views) => ExtractionPipeline.ManifestFor(backbone, views);

    public ExtractionPipeline Pipeline(ExtractionOptions options) => new(backbone, options);

    public void Dispose() => backbone.Dispose();
}
