using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.TestSupport;
using OnnxTransfer.TestSupport.Models;
using OnnxTransfer.Text.Input;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// The text setting, built once per pooling per test run: the test BERT (random weights, TestSupport) with the shared
/// tokenizer, the first 800 SST-2 lines extracted into a cache by the Features pipeline, a softmax head trained on
/// lines 1–600 and exported with the cache's fingerprint, and the fused model composed from them. Lines 601–800 are
/// the held-out sentences the tests predict.
/// </summary>
internal sealed class TextSst2
{
    private static readonly string Root = CreateRoot();
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(TextPooling, bool), TextSst2> Built = [];
    private static string? _model;

    public const int Lines = 800;
    public const int TrainLines = 600;

    public static TextSst2 For(TextPooling pooling = TextPooling.Mean, bool l2 = true)
    {
        lock (Gate)
        {
            if (!Built.TryGetValue((pooling, l2), out var built)) Built[(pooling, l2)] = built = new TextSst2(pooling, l2);
            return built;
        }
    }

    private TextSst2(TextPooling pooling, bool l2)
    {
        _model ??= TestBertModel.Save(TestBertConfig.Tiny, Path.Combine(Root, "bert.onnx"));
        Folder = Path.Combine(Root, $"{pooling}-{l2}".ToLowerInvariant());
        Directory.CreateDirectory(Folder);
        Spec = new BackboneSpec
        {
            Name = "test-bert",
            Kind = BackboneKind.Text,
            ModelPath = _model,
            ModelSha256 = FileHash.Sha256(_model),
            Text = new TextInputSpec
            {
                Tokenizer = SharedData.BertBaseUncasedTokenizer,
                Pooling = pooling,
                PooledOutput = pooling == TextPooling.PooledOutput ? TestBertModel.PooledOutput : null,
                MaxLength = 64,
            },
            Features = new FeatureSpec(FeatureSpec.Auto, FeaturePooling.None, l2),
        };
        SpecPath = Path.Combine(Folder, "test-bert.backbone.json");
        BackboneSpecFile.Save(Spec, SpecPath);
        Backbone = TextBackbone.Load(Spec);

        TextsPath = Path.Combine(Folder, "sst2.txt");
        File.WriteAllLines(TextsPath, File.ReadLines(SharedData.Sst2Train).Take(Lines));
        var all = File.ReadAllLines(TextsPath);
        Sentences = [.. all.Select(l => l[2..])];
        Labels = [.. all.Select(l => l[..1])];

        var cacheDirectory = Path.Combine(Folder, "cache");
        using (var cache = EmbeddingCache.OpenForWriting(cacheDirectory, ExtractionPipeline.ManifestFor(Backbone)))
            new ExtractionPipeline(Backbone, new ExtractionOptions { BatchSize = 32 })
                .Run(TextInputFiles.Open(TextsPath, new TextInputOptions { LabelPrefix = true }), cache);
        using (var cache = EmbeddingCache.Open(cacheDirectory)) Cache = cache.ReadEmbeddings();

        var index = Cache.IndexById();
        var dimension = Cache.Dimension;
        var features = new float[TrainLines * dimension];
        for (var line = 1; line <= TrainLines; line++) Cache.Row(index[line.ToString()]).CopyTo(features.AsSpan((line - 1) * dimension));
        Head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 1.0 }).Fit(EmbeddingSet.Create("train", features, dimension, Labels[..TrainLines]));
        HeadPath = Path.Combine(Folder, "head.onnx");
        HeadOnnxExporter.Save(Head, HeadPath, new HeadExportOptions
        {
            Opset = 17,
            Fingerprint = Backbone.Fingerprint,
        });
        HeadModel = HeadModel.Load(HeadPath);
        FusedPath = Path.Combine(Folder, "fused.onnx");
        new FusedModelComposer(new ComposeOptions { IncludeFeatures = true }).Compose(Backbone, HeadModel).Save(FusedPath);
    }

    public string Folder { get; }
    public BackboneSpec Spec { get; }
    public string SpecPath { get; }
    public TextBackbone Backbone { get; }
    public string TextsPath { get; }

    /// <summary>The 800 sentences (line i + 1 of the file) and their labels.</summary>
    public string[] Sentences { get; }
    public string[] Labels { get; }

    public CachedEmbeddings Cache { get; }
    public Training.Heads.Head Head { get; }
    public string HeadPath { get; }
    public HeadModel HeadModel { get; }

    /// <summary>Encoder + pooling + L2 + head in one graph, with the <c>features</c> output.</summary>
    public string FusedPath { get; }

    /// <summary>Lines 601–800: never trained on.</summary>
    public string[] HeldOut => Sentences[TrainLines..];

    public static double MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length));
        var worst = 0.0;
        for (var i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    private static string CreateRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), $"inference-text-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(root, true); } catch (IOException) { } };
        return root;
    }
}
