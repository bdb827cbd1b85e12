using OnnxTransfer.Features.Views;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Composition;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Onnx;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Export;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Inference.Tests;

/// <summary>
/// Acceptance of <c>compose --tta hflip</c> on the hymenoptera val images through the shared MobileNetV2: the fused
/// model's probabilities are the library head's probabilities on the backbone embeddings of the original and of the
/// <see cref="InputView.HorizontalFlip"/> tensor (what <c>extract --views hflip</c> caches), averaged; the chained
/// predictor with the same views gives the same; every head kind composes; the graph holds exactly one extra view path.
/// </summary>
[NonParallelizable]
public class TestTimeAugmentationTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    private static readonly Lazy<(float[] Original, float[] Flipped)> ViewEmbeddings = new(EmbedValViews);

    private static ComposeOptions WithFlip(ComposeOptions? options = null) =>
        (options ?? new ComposeOptions()) with { TestTimeAugmentation = TestTimeAugmentation.HorizontalFlip };

    [TestCase("softmax")]
    [TestCase("mlp")]
    [TestCase("centroid")]
    [TestCase("knn")]
    public void FusedAndChainedEqualTheHeadAveragedOverTheViewEmbeddings(string kind)
    {
        var head = kind switch
        {
            "softmax" => H.Head,
            "mlp" => new MlpTrainer(new MlpSettings { HiddenLayers = [64], Epochs = 5, Seed = 3 }).Fit(H.Train.Set),
            "centroid" => new NearestCentroidTrainer().Fit(H.Train.Set),
            _ => new NearestNeighboursTrainer().Fit(H.Train.Set),
        };
        var headPath = Path.Combine(H.Folder, $"tta-{kind}-head.onnx");
        HeadOnnxExporter.Save(head, headPath, Hymenoptera.ExportOptions(H.Backbone.Fingerprint));
        var headModel = HeadModel.Load(headPath);
        var fusedPath = Path.Combine(H.Folder, $"tta-{kind}-fused.onnx");
        new FusedModelComposer(WithFlip()).Compose(H.Backbone, headModel).Save(fusedPath);

        var classes = head.ClassCount;
        var (original, flipped) = ViewEmbeddings.Value;
        var onOriginal = head.PredictProba(original);
        var onFlipped = head.PredictProba(flipped);
        var expected = new float[onOriginal.Length];
        for (var i = 0; i < expected.Length; i++) expected[i] = (onOriginal[i] + onFlipped[i]) / 2;

        float[] fused, chained;
        using (var predictor = Predictor.FromFusedModel(fusedPath))
        {
            Assert.That(predictor.Description, Does.Contain("original,hflip"));
            fused = CompositionParityTests.Probabilities(predictor.PredictFiles(H.Val.Sources), classes);
        }
        using (var predictor = Predictor.FromBackbone(Hymenoptera.Spec(), headModel, new PredictorOptions { TestTimeAugmentation = TestTimeAugmentation.HorizontalFlip }))
            chained = CompositionParityTests.Probabilities(predictor.PredictFiles(H.Val.Sources), classes);

        var fusedVsViews = MaxDifference(fused, expected);
        var chainedVsViews = MaxDifference(chained, expected);
        var fusedVsChained = MaxDifference(fused, chained);
        var flipChange = MaxDifference(onOriginal, expected);
        TestContext.Out.WriteLine($"{kind}: max |Δp| fused vs head over view embeddings {fusedVsViews:E2}, chained vs same {chainedVsViews:E2}, " +
                                  $"fused vs chained {fusedVsChained:E2}; the flip moves probabilities by up to {flipChange:F3}; " +
                                  $"val accuracy original {Accuracy(onOriginal, classes):P1}, with hflip TTA {Accuracy(fused, classes):P1}");
        Assert.Multiple(() =>
        {
            Assert.That(fusedVsViews, Is.LessThanOrEqualTo(1e-5f));
            Assert.That(chainedVsViews, Is.LessThanOrEqualTo(1e-5f));
            Assert.That(fusedVsChained, Is.LessThanOrEqualTo(1e-5f));
            Assert.That(flipChange, Is.GreaterThan(1e-3f), "the mirrored view must change something, or the test proves nothing");
        });
    }

    [Test]
    public void TheGraphHoldsExactlyOneExtraViewPathAndKeepsInputsOutputsAndDynamicBatch()
    {
        var plain = OnnxModel.Load(H.Compose("tta-plain-features.onnx", new ComposeOptions { IncludeFeatures = true, FoldNormalization = InputScale.Unit }));
        var views = OnnxModel.Load(H.Compose("tta-hflip-features.onnx", WithFlip(new ComposeOptions { IncludeFeatures = true, FoldNormalization = InputScale.Unit })));

        var added = OpCounts(views);
        foreach (var (op, count) in OpCounts(plain)) added[op] = added.GetValueOrDefault(op) - count;
        Assert.That(added.Where(entry => entry.Value != 0).ToDictionary(), Is.EquivalentTo(new Dictionary<string, int>
        {
            // the mirror and the stack in front; per output a reshape to [views, N, …], then the mean (probabilities) or
            // the original's rows (features); the head's ArgMax over V·N rows is replaced by one over the mean
            ["Slice"] = 1, ["Concat"] = 1, ["Reshape"] = 2, ["ReduceMean"] = 1, ["Gather"] = 1,
        }), "one extra view path and no second backbone");

        var graph = views.Proto.Graph;
        var input = graph.Input.Single(i => i.Name == "input");
        var consumers = graph.Node.Where(n => n.Input.Contains("input")).ToList();
        Assert.That(consumers.Select(n => n.OpType), Is.EquivalentTo(new[] { "Slice", "Concat" }), "only the view path reads the input");
        var slice = consumers.Single(n => n.OpType == "Slice");
        long Constant(int index) => graph.Initializer.Single(t => t.Name == slice.Input[index]).Int64Data.Single();
        Assert.That((Constant(1), Constant(3), Constant(4)), Is.EqualTo((-1L, 3L, -1L)), "starts −1, axis 3 (width), step −1: a mirror");
        var concat = consumers.Single(n => n.OpType == "Concat");
        Assert.That(concat.Input, Is.EqualTo(new[] { "input", slice.Output[0] }), "the original first, then the mirror");
        Assert.That(input.Type.TensorType.Shape.Dim[0].DimParam, Is.Not.Empty, "the batch axis stays dynamic");

        Assert.That(views.Inputs.Select(i => i.ToString()), Is.EqualTo(plain.Inputs.Select(i => i.ToString())));
        Assert.That(views.Outputs.Select(o => o.ToString()), Is.EqualTo(plain.Outputs.Select(o => o.ToString())));
        Assert.That(views.Metadata[MetadataKeys.TestTimeViews], Is.EqualTo("original,hflip"));
        Assert.That(views.Metadata[MetadataKeys.TestTimeCombine], Is.EqualTo("mean_probabilities"));
        Assert.That(plain.Metadata.Keys, Has.None.StartsWith("onnxtransfer.tta"));
        Assert.That(plain.ToBytes(), Is.EqualTo(new FusedModelComposer(new ComposeOptions
        {
            IncludeFeatures = true, FoldNormalization = InputScale.Unit, TestTimeAugmentation = TestTimeAugmentation.Parse("original"),
        }).Compose(H.Backbone, H.HeadModel).ToBytes()), "naming only the original composes today's single-view model");
    }

    [Test]
    public void TheFeaturesOutputIsTheOriginalViewsAndLabelIndexTheArgmaxOfTheMean()
    {
        var path = H.Compose("tta-hflip-features-plain.onnx", WithFlip(new ComposeOptions { IncludeFeatures = true }));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var spec = Hymenoptera.Spec();
        var preprocessor = new ImagePreprocessor(spec.Image!.ToPreprocessSettings(spec.Layout));
        var decoder = new ImageDecoder(spec.Image.ToDecoderOptions());
        const int rows = 3;
        var tensor = new float[rows * preprocessor.TensorLength];
        for (var i = 0; i < rows; i++)
            using (var image = decoder.Decode(H.Val.Sources[i * 50], preprocessor))
                preprocessor.Process(image, tensor.AsSpan(i * preprocessor.TensorLength, preprocessor.TensorLength));
        using var input = OrtTestRuns.Tensor(tensor, [rows, 3, 224, 224]);
        using var result = session.RunNamed("input", input);
        var features = result["features"].GetTensorData<float>().ToArray();
        var probabilities = result["probabilities"].GetTensorData<float>().ToArray();
        var labels = result["label_index"].GetTensorData<long>().ToArray();
        var dimension = H.Backbone.Dimension;
        Assert.That(features, Has.Length.EqualTo(rows * dimension));
        Assert.That(probabilities, Has.Length.EqualTo(rows * 2));
        for (var i = 0; i < rows; i++)
        {
            Assert.That(features.AsSpan(i * dimension, dimension).ToArray(), Is.EqualTo(H.Val.Features.AsSpan(i * 50 * dimension, dimension).ToArray()).Within(1e-5f), $"row {i}: the cached original embedding");
            Assert.That(labels[i], Is.EqualTo(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * 2, 2))), $"row {i}");
        }
    }

    [Test]
    public void OnnxruntimeNodeRunsTheViewModelWithTheSameResults()
    {
        const int rows = 8;
        var (ours, theirs, labels) = CompositionParityTests.RunInNode(H.Compose("tta-hflip.onnx", WithFlip()), rows);
        var difference = MaxDifference(theirs, ours);
        TestContext.Out.WriteLine($"max |Δp| onnxruntime-node vs ours (fused with hflip views, {rows} val images): {difference:E2}");
        Assert.That(difference, Is.LessThanOrEqualTo(1e-5f));
        Assert.That(labels, Has.Length.EqualTo(rows), "one label per input, not one per view");
        for (var i = 0; i < rows; i++) Assert.That(labels[i], Is.EqualTo(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(ours.AsSpan(i * 2, 2))), $"row {i}");
    }

    [Test]
    public void ViewsAreRefusedForTextBackbonesAndUnknownNamesListTheKnownViews()
    {
        var text = TextSst2.For();
        var composeError = Assert.Throws<InferenceException>(() => new FusedModelComposer(WithFlip()).Compose(text.Backbone, text.HeadModel));
        Assert.That(composeError!.Message, Does.Contain("text backbone").And.Contain("--tta"));
        var predictError = Assert.Throws<InferenceException>(() =>
            Predictor.FromBackbone(text.Spec, text.HeadModel, new PredictorOptions { TestTimeAugmentation = TestTimeAugmentation.HorizontalFlip }).Dispose());
        Assert.That(predictError!.Message, Does.Contain("text backbone").And.Contain("--tta"));

        var unknown = Assert.Throws<FormatException>(() => TestTimeAugmentation.Parse("hflip,vflip"));
        Assert.That(unknown!.Message, Does.Contain("'vflip'").And.Contain("known views are hflip"));
        Assert.That(TestTimeAugmentation.Parse(" HFlip ").Names, Is.EqualTo("original,hflip"));
        Assert.That(TestTimeAugmentation.Parse("none").IsActive, Is.False);
    }

    [Test]
    public void AFusedModelAppliesItsOwnViewsAndRefusesOthers()
    {
        var viewsPath = H.Compose("tta-hflip.onnx", WithFlip());
        using (var predictor = Predictor.FromFusedModel(viewsPath, new PredictorOptions { TestTimeAugmentation = TestTimeAugmentation.HorizontalFlip }))
            Assert.That(predictor.Description, Does.Contain("original,hflip"), "naming the model's own views is accepted");
        var changed = Assert.Throws<InferenceException>(() => Predictor.FromFusedModel(viewsPath, new PredictorOptions { TestTimeAugmentation = TestTimeAugmentation.None }).Dispose());
        Assert.That(changed!.Message, Does.Contain("averages the views original,hflip"));
        var missing = Assert.Throws<InferenceException>(() => Predictor.FromFusedModel(H.FusedPath, new PredictorOptions { TestTimeAugmentation = TestTimeAugmentation.HorizontalFlip }).Dispose());
        Assert.That(missing!.Message, Does.Contain("compose it again with --tta hflip"));
    }

    /// <summary>
    /// The val images' embeddings, original and mirrored: each decoded and preprocessed tensor, and
    /// <see cref="InputView.HorizontalFlip"/> applied to it, through the backbone's own batch and <c>Embed</c>.
    /// </summary>
    private static (float[] Original, float[] Flipped) EmbedValViews()
    {
        var spec = Hymenoptera.Spec();
        var preprocessor = new ImagePreprocessor(spec.Image!.ToPreprocessSettings(spec.Layout));
        var decoder = new ImageDecoder(spec.Image.ToDecoderOptions());
        var sources = H.Val.Sources;
        var dimension = H.Backbone.Dimension;
        var length = preprocessor.TensorLength;
        var original = new float[sources.Length * dimension];
        var flipped = new float[sources.Length * dimension];
        const int batchSize = 32;
        using var batch = H.Backbone.CreateBatch(batchSize);
        var tensors = new float[batchSize * length];
        for (var start = 0; start < sources.Length; start += batchSize)
        {
            var count = Math.Min(batchSize, sources.Length - start);
            for (var i = 0; i < count; i++)
                using (var image = decoder.Decode(sources[start + i], preprocessor))
                    preprocessor.Process(image, tensors.AsSpan(i * length, length));
            tensors.AsSpan(0, count * length).CopyTo(batch.Input);
            H.Backbone.Embed(batch, count, original.AsSpan(start * dimension, count * dimension));
            for (var i = 0; i < count; i++)
                InputView.HorizontalFlip.Apply(tensors.AsSpan(i * length, length), batch.ImageSlot(i), 3, 224, 224);
            H.Backbone.Embed(batch, count, flipped.AsSpan(start * dimension, count * dimension));
        }
        Assert.That(MaxDifference(original, H.Val.Features), Is.LessThanOrEqualTo(1e-6f), "the original view's embeddings are the cache's");
        return (original, flipped);
    }

    private static Dictionary<string, int> OpCounts(OnnxModel model) =>
        model.Proto.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());

    private static double Accuracy(float[] probabilities, int classes) =>
        Enumerable.Range(0, H.Val.Ids.Length).Count(i =>
            H.Head.Labels[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * classes, classes))] == H.Val.Labels[i]) / (double)H.Val.Ids.Length;

    private static float MaxDifference(float[] a, float[] b) => CompositionParityTests.MaxDifference(a, b);
}
