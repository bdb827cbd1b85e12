using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// The shared real-data setting, built once per test run: the hymenoptera images through the shared MobileNetV2 into
/// an embedding cache (the Features pipeline), a softmax-regression head trained on the train split of that cache and
/// written as head.onnx with the cache's fingerprint, and the fused models composed from them.
/// </summary>
internal sealed class Hymenoptera
{
    private static readonly Lazy<Hymenoptera> Shared = new(() => new Hymenoptera());

    public static Hymenoptera Instance => Shared.Value;

    public static string SpecPath => Path.Combine(RepositoryPaths.OnnxModels, "mobilenetv2-int8.backbone.json");

    public static BackboneSpec Spec()
    {
        _ = SharedData.Root; // a clear message when the shared data is missing
        return BackboneSpecFile.Load(SpecPath);
    }

    private Hymenoptera()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"inference-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(Folder, true); } catch (IOException) { } };

        Backbone = ImageBackbone.Load(Spec());
        var cacheDirectory = Path.Combine(Folder, "cache");
        using (var cache = EmbeddingCache.OpenForWriting(cacheDirectory, ExtractionPipeline.ManifestFor(Backbone)))
            new ExtractionPipeline(Backbone, new ExtractionOptions { BatchSize = 32 }).Run(InputSet.Open(SharedData.Hymenoptera), cache);
        using (var cache = EmbeddingCache.Open(cacheDirectory)) Cache = cache.ReadEmbeddings();

        Train = Subset("train");
        Val = Subset("val");
        Head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.1 }).Fit(Train.Set);
        HeadPath = Path.Combine(Folder, "head.onnx");
        HeadOnnxExporter.Save(Head, HeadPath, ExportOptions(Backbone.Fingerprint));
        HeadModel = HeadModel.Load(HeadPath);
        FusedPath = Compose("fused.onnx", new ComposeOptions());
    }

    public string Folder { get; }

    public ImageBackbone Backbone { get; }

    public CachedEmbeddings Cache { get; }

    public Split Train { get; }

    /// <summary>The val split: 153 images (70 ants, 83 bees).</summary>
    public Split Val { get; }

    public Head Head { get; }

    public string HeadPath { get; }

    public HeadModel HeadModel { get; }

    /// <summary>Backbone + head fused, normalisation not folded.</summary>
    public string FusedPath { get; }

    /// <summary>The trainer's exporter with the given cache fingerprint (null: none) and opset.</summary>
    public static HeadExportOptions ExportOptions(BackboneFingerprint? fingerprint, int opset = 17) => new()
    {
        Opset = opset,
        Fingerprint = fingerprint,
    };

    public string Compose(string name, ComposeOptions options)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path)) new FusedModelComposer(options).Compose(Backbone, HeadModel).Save(path);
        return path;
    }

    private Split Subset(string split)
    {
        var rows = Enumerable.Range(0, Cache.Count).Where(i => Cache.Splits[i] == split).ToArray();
        var dimension = Cache.Dimension;
        var features = new float[rows.Length * dimension];
        for (var i = 0; i < rows.Length; i++) Cache.Row(rows[i]).CopyTo(features.AsSpan(i * dimension, dimension));
        var labels = rows.Select(i => Cache.Labels[i]!).ToArray();
        return new Split(EmbeddingSet.Create(split, features, dimension, labels), rows.Select(i => Cache.Ids[i]).ToArray(),
            rows.Select(i => Cache.Sources[i]).ToArray(), labels, features);
    }

    internal sealed record Split(EmbeddingSet Set, string[] Ids, string[] Sources, string[] Labels, float[] Features);
}
