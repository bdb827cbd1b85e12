using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.TestSupport;
using OnnxTransfer.TestSupport.Models;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// The text specs in onnx-models/: each says the pooling its model was trained for, and loads as a text backbone when
/// its folder (model.onnx + tokenizer files) is where the spec looks — shown with the test BERT standing in for the
/// real weights, which cannot be downloaded here.
/// </summary>
[NonParallelizable]
public class TextSpecFilesTests
{
    [TestCase("all-minilm-l6-v2", "all-MiniLM-L6-v2", TextPooling.Mean, true, 256)]
    [TestCase("bge-small-en-v1.5", "bge-small-en-v1.5", TextPooling.Cls, true, 512)]
    [TestCase("bert-base-uncased", "bert-base-uncased", TextPooling.Mean, false, 512)]
    public void SpecSaysItsPoolingAndLoadsFromTheModelsFolder(string name, string folderName, TextPooling pooling, bool l2, int maxLength)
    {
        var path = Path.Combine(RepositoryPaths.OnnxModels, $"{name}.backbone.json");
        var spec = BackboneSpecFile.Load(path);
        Assert.That((spec.Name, spec.Kind, spec.Text!.Pooling, spec.Features.L2Normalize, spec.Text.MaxLength, spec.Text.LowerCase),
            Is.EqualTo((name, BackboneKind.Text, pooling, l2, maxLength, true)));
        Assert.That(spec.Description, Does.Contain("huggingface.co").Or.Contain("export_text_encoder.py"));

        using var models = new TempDirectory("features-text-specs");
        var folder = Path.Combine(models.Path, folderName);
        Directory.CreateDirectory(folder);
        TestBertModel.Save(TestBertConfig.Tiny, Path.Combine(folder, "model.onnx"));
        foreach (var file in Directory.GetFiles(SharedData.BertBaseUncasedTokenizer)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var saved = Environment.GetEnvironmentVariable("ONNXTRANSFER_MODELS");
        Environment.SetEnvironmentVariable("ONNXTRANSFER_MODELS", models.Path);
        try
        {
            using var backbone = TextBackbone.Load(spec);
            Assert.That(backbone.ModelPath, Is.EqualTo(Path.Combine(folder, "model.onnx")));
            Assert.That(backbone.Notes, Has.Some.Contains("does not pin the model file"));
            Assert.That(backbone.Embed(["a gripping , funny movie ."]), Has.Length.EqualTo(TestBertConfig.Tiny.HiddenSize));
        }
        finally
        {
            Environment.SetEnvironmentVariable("ONNXTRANSFER_MODELS", saved);
        }
    }
}
