namespace OnnxTransfer.Onnx.Tests;

public class FeatureTensorLocatorTests
{
    private static FeatureTensor Locate(OnnxModel model) => new FeatureTensorLocator().Locate(model);

    [Test]
    public void Torchvision_export_flatten_then_gemm()
    {
        var feature = Locate(SyntheticModels.Torchvision());
        Assert.That(feature.Name, Is.EqualTo("/Flatten_output_0"));
        Assert.That(feature.Dimension, Is.EqualTo(SyntheticModels.Channels));
        Assert.That(feature.NumberOfClasses, Is.EqualTo(SyntheticModels.Classes));
        Assert.That(feature.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(feature.Layout, Is.EqualTo(FeatureLayout.Pooled));
        Assert.That(feature.Shape, Is.EqualTo(new TensorShape("N", SyntheticModels.Channels)));
        Assert.That(feature.Classifier.Name, Is.EqualTo("/fc/Gemm"));
        Assert.That(feature.ClassifierWeight, Is.EqualTo("fc.weight"));
        Assert.That(feature.WalkedThrough, Is.Empty);
    }

    [Test]
    public void Model_zoo_v1_reshape_then_gemm_then_softmax()
    {
        var feature = Locate(SyntheticModels.ModelZooV1());
        Assert.That(feature.Name, Is.EqualTo("flatten0"));
        Assert.That(feature.Dimension, Is.EqualTo(SyntheticModels.Channels));
        // Reshape to [0,-1] keeps the batch dimension and infers the rest.
        Assert.That(feature.Shape, Is.EqualTo(new TensorShape("N", SyntheticModels.Channels)));
        Assert.That(feature.WalkedThrough.Select(n => n.OpType), Is.EqualTo(new[] { "Softmax" }));
        Assert.That(feature.StartOutput, Is.EqualTo("prob"));
    }

    [Test]
    public void Model_zoo_v2_gemm_without_transpose()
    {
        var feature = Locate(SyntheticModels.ModelZooV2());
        Assert.That(feature.Name, Is.EqualTo("flatten_out"));
        Assert.That(feature.Dimension, Is.EqualTo(SyntheticModels.Channels), "B is [features, classes] when transB=0");
        Assert.That(feature.NumberOfClasses, Is.EqualTo(SyntheticModels.Classes));
    }

    [Test]
    public void MatMul_plus_Add_classifier()
    {
        var feature = Locate(SyntheticModels.MatMulAdd());
        Assert.That(feature.Name, Is.EqualTo("features"));
        Assert.That(feature.Dimension, Is.EqualTo(SyntheticModels.Channels));
        Assert.That(feature.Classifier.OpType, Is.EqualTo("MatMul"));
        Assert.That(feature.ClassifierWeight, Is.EqualTo("dense/kernel"));
        Assert.That(feature.WalkedThrough.Select(n => n.OpType), Is.EqualTo(new[] { "Softmax", "Add" }));
        Assert.That(feature.Layout, Is.EqualTo(FeatureLayout.Pooled));
    }

    [Test]
    public void One_by_one_convolution_classifier_reports_a_spatial_tensor()
    {
        var feature = Locate(SyntheticModels.Conv1x1());
        Assert.That(feature.Name, Is.EqualTo("pooled"));
        Assert.That(feature.Dimension, Is.EqualTo(SyntheticModels.Channels), "weight [classes, features, 1, 1]");
        Assert.That(feature.Classifier.Name, Is.EqualTo("classifier"));
        Assert.That(feature.Layout, Is.EqualTo(FeatureLayout.Spatial));
        Assert.That(feature.Shape, Is.EqualTo(new TensorShape("N", SyntheticModels.Channels, 1, 1)));
    }

    [Test]
    public void Quantized_model_yields_the_float_tensor_not_its_dequantized_copy()
    {
        var model = SyntheticModels.Quantized();
        var feature = Locate(model);
        Assert.That(feature.Name, Is.EqualTo("flat"));
        Assert.That(feature.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(feature.Dimension, Is.EqualTo(SyntheticModels.Channels), "weight shape read through DequantizeLinear");
        Assert.That(model.FindProducer(feature.Name)!.OpType, Is.EqualTo("Flatten"));
    }

    [Test]
    public void A_graph_without_classifier_is_refused_with_what_was_found()
    {
        var ex = Assert.Throws<FeatureTensorNotFoundException>(() => Locate(SyntheticModels.NoClassifier()));
        Assert.That(ex!.Message, Does.Contain("output 'embedding'")
            .And.Contain("Identity")
            .And.Contain("Conv")
            .And.Contain("not a 1x1 convolution classifier")
            .And.Contain("Name the feature tensor explicitly"));
    }

    [Test]
    public void An_unknown_start_output_is_refused_with_the_real_outputs()
    {
        var ex = Assert.Throws<FeatureTensorNotFoundException>(() => new FeatureTensorLocator("logits").Locate(SyntheticModels.ModelZooV1()));
        Assert.That(ex!.Message, Does.Contain("'logits'").And.Contain("'prob'"));
    }

    [Test]
    public void Start_output_can_be_chosen()
    {
        var model = SyntheticModels.Torchvision();
        model.ExposeOutput("pooled");
        Assert.That(new FeatureTensorLocator("logits").Locate(model).Name, Is.EqualTo("/Flatten_output_0"));
        Assert.Throws<FeatureTensorNotFoundException>(() => new FeatureTensorLocator("pooled").Locate(model));
    }
}

public class SyntheticModelRuntimeTests
{
    [Test]
    public void Built_models_run_in_onnx_runtime_with_the_declared_output_shapes()
    {
        using var temp = new OnnxTransfer.TestSupport.TempDirectory();
        var models = new Dictionary<string, OnnxModel>
        {
            ["torchvision"] = SyntheticModels.Torchvision(),
            ["zoo_v1"] = SyntheticModels.ModelZooV1(),
            ["zoo_v2"] = SyntheticModels.ModelZooV2(),
            ["matmul_add"] = SyntheticModels.MatMulAdd(),
            ["conv1x1"] = SyntheticModels.Conv1x1(),
            ["qdq"] = SyntheticModels.Quantized(),
        };
        var paths = new List<string>();
        foreach (var (name, model) in models)
        {
            var path = temp.File(name + ".onnx");
            model.Save(path);
            paths.Add(path);
        }
        Npy.WriteFloat32(temp.File("input.npy"), SyntheticModels.Values(3 * 16 * 16, 99), 1, 3, 16, 16);

        var results = OrtOracle.Run(temp.File("input.npy"), [.. paths]);

        foreach (var (result, model) in results.Zip(models.Values))
        {
            var declared = model.Outputs.Single();
            var output = result.Outputs[declared.Name];
            var expectedDims = declared.Shape!.Dimensions.Select(d => d.Value ?? 1).ToArray(); // the batch "N" is 1 here
            Assert.That(output.Dims, Is.EqualTo(expectedDims), result.Model);
            Assert.That(output.Data.All(float.IsFinite), Is.True, result.Model);
        }
    }
}
