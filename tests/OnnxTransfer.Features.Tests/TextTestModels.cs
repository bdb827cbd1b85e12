using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.TestSupport;
using OnnxTransfer.TestSupport.Models;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Test BERT encoders (random weights, built with GraphBuilder by TestSupport) saved once per test run, and specs for
/// them with the shared bert-base-uncased tokenizer.
/// </summary>
internal static class TextTestModels
{
    private static readonly TempDirectory Folder = new("features-text-models");
    private static readonly Dictionary<TestBertConfig, string> Saved = [];
    private static readonly Lazy<TextBackbone> MeanL2 = new(() => TextBackbone.Load(Spec()));

    /// <summary>The tiny model with mean pooling and L2, loaded once (sessions are thread-safe; runs share the batches it keeps).</summary>
    public static TextBackbone Tiny => MeanL2.Value;

    /// <summary>The model file for <paramref name="config"/> (built on first use).</summary>
    public static string ModelPath(TestBertConfig? config = null)
    {
        config ??= TestBertConfig.Tiny;
        lock (Saved)
        {
            if (!Saved.TryGetValue(config, out var path))
            {
                path = Folder.File($"bert-{Saved.Count}.onnx");
                TestBertModel.Save(config, path);
                Saved[config] = path;
            }
            return path;
        }
    }

    /// <summary>A text spec for the test model (pinned by sha256 unless <paramref name="pin"/> is false).</summary>
    public static BackboneSpec Spec(TextPooling pooling = TextPooling.Mean, bool l2 = true, int maxLength = 128, TestBertConfig? config = null,
        bool pin = true, bool lowerCase = true, string tensor = FeatureSpec.Auto)
    {
        var model = ModelPath(config);
        return new BackboneSpec
        {
            Name = "test-bert",
            Kind = BackboneKind.Text,
            ModelPath = model,
            ModelSha256 = pin ? FileHash.Sha256(model) : null,
            Text = new TextInputSpec
            {
                Tokenizer = SharedData.BertBaseUncasedTokenizer,
                LowerCase = lowerCase,
                MaxLength = maxLength,
                Pooling = pooling,
                PooledOutput = pooling == TextPooling.PooledOutput ? TestBertModel.PooledOutput : null,
            },
            Features = new FeatureSpec(tensor, FeaturePooling.None, l2),
        };
    }

    /// <summary>The first <paramref name="count"/> lines of SST-2 in a file of <paramref name="folder"/> (LABEL text per line).</summary>
    public static string Sst2Subset(TempDirectory folder, int count, string name = "sst2.txt")
    {
        var path = folder.File(name);
        File.WriteAllLines(path, File.ReadLines(SharedData.Sst2Train).Take(count));
        return path;
    }
}
