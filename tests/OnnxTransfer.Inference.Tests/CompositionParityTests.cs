using Microsoft.ML.OnnxRuntime;
using System.Text.Json;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// Acceptance: on the hymenoptera val split (153 images) the fused model, the chained backbone + head, and the head
/// evaluated on the cached embeddings give the same probabilities — the head part within 1e-5 of the trainer, fused and
/// chained within float rounding of each other — with normalisation folded or not; and onnxruntime-node runs the fused
/// file with the same results.
/// </summary>
[NonParallelizable]
public class CompositionParityTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    /// <summary>Row-major probabilities of successful predictions (shared by the parity tests of every head kind).</summary>
    internal static float[] Probabilities(IReadOnlyList<Prediction.Prediction> predictions, int classes)
    {
        var result = new float[predictions.Count * classes];
        for (var i = 0; i < predictions.Count; i++)
        {
            Assert.That(predictions[i].Succeeded, Is.True, predictions[i].ToString());
            for (var c = 0; c < classes; c++) result[i * classes + c] = predictions[i].Probabilities![c];
        }
        return result;
    }

    internal static float MaxDifference(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        var max = 0f;
        for (var i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    [Test]
    public void FusedChainedAndCachePlusHeadAgreeOnTheValSplit()
    {
        var val = H.Val;
        var classes = H.Head.ClassCount;
        Assert.That(val.Ids, Has.Length.EqualTo(153));

        var trainer = H.Head.PredictProba(val.Set);
        float[] ortHead;
        using (var session = new InferenceSession(H.HeadPath))
        using (var input = OrtTestRuns.Tensor(val.Features, [val.Ids.Length, H.Backbone.Dimension]))
        using (var result = session.RunNamed("features", input))
            ortHead = result["probabilities"].GetTensorData<float>().ToArray();

        float[] chained, fused, foldedUnit, foldedByte;
        using (var predictor = Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel))
        {
            Assert.That(predictor.Kind, Is.EqualTo(PredictorKind.Chained));
            chained = Probabilities(predictor.PredictFiles(val.Sources), classes);
        }
        using (var predictor = Predictor.FromFusedModel(H.FusedPath)) fused = Probabilities(predictor.PredictFiles(val.Sources), classes);
        using (var predictor = Predictor.FromFusedModel(H.Compose("fused-unit.onnx", new ComposeOptions { FoldNormalization = InputScale.Unit })))
            foldedUnit = Probabilities(predictor.PredictFiles(val.Sources), classes);
        using (var predictor = Predictor.FromFusedModel(H.Compose("fused-byte.onnx", new ComposeOptions { FoldNormalization = InputScale.Byte })))
            foldedByte = Probabilities(predictor.PredictFiles(val.Sources), classes);

        var differences = new Dictionary<string, float>
        {
            ["ORT head on cache vs trainer"] = MaxDifference(ortHead, trainer),
            ["chained vs trainer on cache"] = MaxDifference(chained, trainer),
            ["chained vs ORT head on cache"] = MaxDifference(chained, ortHead),
            ["fused vs chained"] = MaxDifference(fused, chained),
            ["fused (folded, 0-1 input) vs chained"] = MaxDifference(foldedUnit, chained),
            ["fused (folded, 0-255 input) vs chained"] = MaxDifference(foldedByte, chained),
        };
        foreach (var (name, value) in differences) TestContext.Out.WriteLine($"max |Δp| {name}: {value:E2}");

        Assert.Multiple(() =>
        {
            Assert.That(differences["ORT head on cache vs trainer"], Is.LessThanOrEqualTo(1e-5f));
            Assert.That(differences["chained vs trainer on cache"], Is.LessThanOrEqualTo(1e-5f));
            // The chained backbone half is the extraction code: the same embeddings, so the same head outputs.
            Assert.That(differences["chained vs ORT head on cache"], Is.LessThanOrEqualTo(1e-6f));
            Assert.That(differences["fused vs chained"], Is.LessThanOrEqualTo(1e-5f));
            Assert.That(differences["fused (folded, 0-1 input) vs chained"], Is.LessThanOrEqualTo(1e-5f));
            Assert.That(differences["fused (folded, 0-255 input) vs chained"], Is.LessThanOrEqualTo(1e-5f));
        });
        var accuracy = Enumerable.Range(0, val.Ids.Length).Count(i => H.Head.Labels[ArgMax(fused, i, classes)] == val.Labels[i]) / (double)val.Ids.Length;
        TestContext.Out.WriteLine($"fused accuracy on val: {accuracy:P1}");
        Assert.That(accuracy, Is.GreaterThan(0.8), "a linear probe on ImageNet features separates ants from bees");
    }

    private static int ArgMax(float[] probabilities, int row, int classes) =>
        System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(row * classes, classes));

    [Test]
    public void FusedModelCarriesLabelsFingerprintsPreprocessingAndTheDocumentedOutputs()
    {
        var model = OnnxModel.Load(H.Compose("fused-unit-features.onnx", new ComposeOptions { FoldNormalization = InputScale.Unit, IncludeFeatures = true }));
        Assert.That(model.Outputs.Select(o => o.Name), Is.EquivalentTo(new[] { "probabilities", "label_index", "features" }));
        Assert.That(model.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "input" }));
        var metadata = model.Metadata;
        Assert.That(metadata[MetadataKeys.Format], Is.EqualTo("fused/1"));
        Assert.That(JsonSerializer.Deserialize(metadata[MetadataKeys.Labels], TestJson.Default.StringArray), Is.EqualTo(new[] { "ants", "bees" }));
        Assert.That(metadata[MetadataKeys.BackboneFingerprintSha256], Is.EqualTo(H.Backbone.Fingerprint.Sha256));
        Assert.That(metadata[MetadataKeys.CacheFingerprintSha256], Is.EqualTo(H.Backbone.Fingerprint.Sha256), "the head's keys are carried over");
        Assert.That(metadata[MetadataKeys.HeadSha256], Is.EqualTo(H.HeadModel.Sha256));
        Assert.That(metadata[MetadataKeys.InputScale], Is.EqualTo("unit"));
        var spec = BackboneSpecFile.Parse(System.Text.Encoding.UTF8.GetBytes(metadata[MetadataKeys.BackboneSpec]), H.Folder);
        Assert.That(spec.Image!.Preprocess.Mean, Is.EqualTo(ChannelValues.Zero), "normalisation is in the graph, so the caller only scales");
        Assert.That(spec.Image.Preprocess.Std, Is.EqualTo(ChannelValues.One));
        Assert.That(spec.Image.Preprocess.ResizeShorterSide, Is.EqualTo(256));

        // The features output is the embedding the cache holds for the same image.
        using var session = new InferenceSession(model.ToBytes());
        var preprocessor = new ImagePreprocessor(spec.Image.ToPreprocessSettings(spec.Layout));
        var decoder = new ImageDecoder(spec.Image.ToDecoderOptions());
        var tensor = new float[preprocessor.TensorLength];
        using (var image = decoder.Decode(H.Val.Sources[0], preprocessor)) preprocessor.Process(image, tensor);
        using var input = OrtTestRuns.Tensor(tensor, [1, 3, 224, 224]);
        using var result = session.RunNamed("input", input);
        var features = result["features"].GetTensorData<float>().ToArray();
        var cached = H.Val.Features.AsSpan(0, H.Backbone.Dimension).ToArray();
        Assert.That(features, Is.EqualTo(cached).Within(1e-5f));
        Assert.That(result["label_index"].GetTensorData<long>()[0], Is.EqualTo(ArgMax(result["probabilities"].GetTensorData<float>().ToArray(), 0, 2)));
    }

    [Test]
    public void OnnxruntimeNodeRunsTheFusedModelWithTheSameResults()
    {
        const int rows = 8;
        var (ours, theirs, labels) = RunInNode(H.FusedPath, rows);
        var difference = MaxDifference(theirs, ours);
        TestContext.Out.WriteLine($"max |Δp| onnxruntime-node vs ours (fused, {rows} val images): {difference:E2}");
        Assert.That(difference, Is.LessThanOrEqualTo(1e-5f));
        Assert.That(labels, Has.Length.EqualTo(rows));
        for (var i = 0; i < rows; i++) Assert.That(labels[i], Is.EqualTo(ArgMax(ours, i, 2)), $"row {i}");
    }

    /// <summary>
    /// Every 19th val image, <paramref name="rows"/> of them, preprocessed once and run by our predictor and by
    /// onnxruntime-node on the fused model at <paramref name="path"/>: our probabilities, theirs and their label_index.
    /// </summary>
    internal static (float[] Ours, float[] Theirs, long[] Labels) RunInNode(string path, int rows)
    {
        using var predictor = Predictor.FromFusedModel(path);
        var tensor = new float[rows * predictor.InputLength];
        var decoder = new ImageDecoder();
        var preprocessor = new ImagePreprocessor(predictor.Preprocessing);
        for (var i = 0; i < rows; i++)
        {
            using var image = decoder.Decode(H.Val.Sources[i * 19], preprocessor);
            preprocessor.Process(image, tensor.AsSpan(i * predictor.InputLength, predictor.InputLength));
        }
        var ours = new float[rows * predictor.Labels.Count];
        predictor.PredictPreprocessed(tensor, rows, ours);

        using var folder = new TempDirectory("inference-node");
        var npy = folder.File("input.npy");
        var bytes = new byte[tensor.Length * 4];
        Buffer.BlockCopy(tensor, 0, bytes, 0, bytes.Length);
        NpyFile.Write(npy, new NpyArray(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [rows, 3, 224, 224], bytes));
        var script = Path.Combine(AppContext.BaseDirectory, "Oracles", "run_fused.mjs");
        using var json = JsonDocument.Parse(NodeOracle.Run(script, [path, npy], timeout: TimeSpan.FromMinutes(2)));
        var outputs = json.RootElement.GetProperty("outputs");
        var theirs = outputs.GetProperty("probabilities").GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var labels = outputs.GetProperty("label_index").GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        return (ours, theirs, labels);
    }
}
