using OnnxTransfer.TestSupport;
using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;
using OnnxTransfer.Training.Export;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// The composer's own graph pieces on a real model: MobileNetV2 cut at its last feature map [N, 1280, 7, 7] with the
/// spec asking for global average pooling and L2 normalisation. The fused graph (GlobalAveragePool, Flatten, ReduceL2,
/// Max, Div) must give the embeddings the extraction code computes in C#, and the same probabilities as chained.
/// </summary>
[NonParallelizable]
public class PoolingCompositionTests
{
    [Test]
    public void PoolingAndL2InTheGraphMatchTheExtractionCode()
    {
        var h = Hymenoptera.Instance;
        var model = OnnxModel.Load(h.Backbone.ModelPath);
        var pool = model.Nodes.Single(n => n.OpType == "GlobalAveragePool");
        var spec = Hymenoptera.Spec() with { Features = new FeatureSpec(pool.Inputs[0], FeaturePooling.GlobalAverage, L2Normalize: true) };
        using var backbone = ImageBackbone.Load(spec);
        Assert.That(backbone.Dimension, Is.EqualTo(1280));
        var head = HeadModel.FromModel(HeadOnnxExporter.Export(h.Head, Hymenoptera.ExportOptions(backbone.Fingerprint)).Model, "head on the feature map");

        var fused = new FusedModelComposer(new ComposeOptions { IncludeFeatures = true, FoldNormalization = InputScale.Unit }).Compose(backbone, head);
        Assert.That(fused.Nodes.Select(n => n.OpType), Does.Contain("ReduceL2").And.Contain("GlobalAveragePool"));

        const int rows = 12;
        var sources = h.Val.Sources.Where((_, i) => i % 13 == 0).Take(rows).ToArray();
        var embeddings = new float[rows * 1280];
        using (var batch = backbone.CreateBatch(rows))
        {
            for (var i = 0; i < rows; i++) backbone.Prepare(sources[i], batch.ImageSlot(i));
            backbone.Embed(batch, rows, embeddings);
        }

        var path = Path.Combine(h.Folder, "fused-pooled.onnx");
        fused.Save(path);
        using var predictor = Predictor.FromFusedModel(path);
        var fusedPredictions = predictor.PredictFiles(sources);
        using var chainedPredictor = Predictor.FromBackbone(spec, head);
        var chainedPredictions = chainedPredictor.PredictFiles(sources);
        var maxProbability = 0f;
        for (var i = 0; i < rows; i++)
            for (var c = 0; c < 2; c++)
                maxProbability = Math.Max(maxProbability, Math.Abs(fusedPredictions[i].Probabilities![c] - chainedPredictions[i].Probabilities![c]));

        // The features output of the fused graph against the C# pooling + L2 of the extraction code.
        using var session = new InferenceSession(path);
        var tensor = new float[rows * predictor.InputLength];
        var preprocessor = new Imaging.ImagePreprocessor(predictor.Preprocessing);
        for (var i = 0; i < rows; i++)
        {
            using var image = new Imaging.ImageDecoder().Decode(sources[i], preprocessor);
            preprocessor.Process(image, tensor.AsSpan(i * predictor.InputLength, predictor.InputLength));
        }
        using var input = OrtTestRuns.Tensor(tensor, [rows, 3, 224, 224]);
        using var result = session.RunNamed("input", input);
        var features = result["features"].GetTensorData<float>();
        var maxFeature = 0f;
        for (var i = 0; i < embeddings.Length; i++) maxFeature = Math.Max(maxFeature, Math.Abs(features[i] - embeddings[i]));
        for (var i = 0; i < rows; i++)
            Assert.That(System.Numerics.Tensors.TensorPrimitives.Norm(features.Slice(i * 1280, 1280)), Is.EqualTo(1f).Within(1e-5f));

        TestContext.Out.WriteLine($"pooled+L2: max |Δ embedding| graph vs C# = {maxFeature:E2}; max |Δp| fused vs chained = {maxProbability:E2}");
        Assert.That(maxFeature, Is.LessThanOrEqualTo(1e-6f));
        Assert.That(maxProbability, Is.LessThanOrEqualTo(1e-5f));
    }
}
