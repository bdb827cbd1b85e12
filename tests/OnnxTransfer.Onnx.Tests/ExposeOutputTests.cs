using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

public class ExposeOutputTests
{
    [Test]
    public void Exposed_tensors_get_their_declared_or_inferred_type_and_onnx_runtime_agrees_on_their_shapes()
    {
        var model = MobileNetV2.Load();
        var declared = model.Proto.Graph.ValueInfo.Select(v => v.Name).ToHashSet();
        // A tensor the file declares, and one it does not (the dequantised copy of the features, typed by inference).
        const string Pooled = "/GlobalAveragePool_output_0";
        var undeclared = model.Nodes.First(n => n.OpType == "DequantizeLinear" && n.Inputs[0].StartsWith(SharedData.MobileNetV2FeatureTensor)).Outputs[0];
        Assert.That(declared, Does.Contain(Pooled).And.Not.Contain(undeclared));

        model.ExposeOutput(Pooled, undeclared, "output");

        Assert.That(model.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "output", Pooled, undeclared }), "existing outputs stay, listed once");
        var inferred = model.Outputs[2];
        Assert.That(inferred.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(inferred.Shape!.Dimensions.Select(d => d.ToString()), Is.EqualTo(new[] { "batch_size", "1280" }));
        Assert.That(model.FindProblems(), Is.Empty);

        using var temp = new TempDirectory();
        model.Save(temp.File("exposed.onnx"));
        var result = OrtOracle.Run(MobileNetV2.ReferenceInput(), temp.File("exposed.onnx")).Single();
        foreach (var output in model.Outputs)
            Assert.That(result.Outputs[output.Name].Dims, Is.EqualTo(output.Shape!.Dimensions.Select(d => d.Value ?? 1)), output.Name);
    }

    [Test]
    public void Unknown_tensors_are_refused_with_similar_names()
    {
        var model = MobileNetV2.Load();
        var ex = Assert.Throws<OnnxModelException>(() => model.ExposeOutput("/flatten_output_0"));
        Assert.That(ex!.Message, Does.Contain("no tensor named '/flatten_output_0'").And.Contain("'/Flatten_output_0'"));
        Assert.Throws<OnnxModelException>(() => model.CutAt("nope"));
        Assert.That(model.Outputs.Single().Name, Is.EqualTo("output"), "a refused edit changes nothing");
    }

    [Test]
    public void Tensors_of_unknown_operators_need_a_declared_type()
    {
        var b = new GraphBuilder();
        b.ImportOpset("com.example", 1);
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        b.AddNode("Mystery", [x], ["m"], domain: "com.example");
        b.AddNode("Relu", [x], ["y"]);
        b.AddOutput("y");
        var model = b.Build();
        var ex = Assert.Throws<OnnxModelException>(() => model.ExposeOutput("m"));
        Assert.That(ex!.Message, Does.Contain("'m'").And.Contain("Mystery").And.Contain("value_info"));

        model.Proto.Graph.ValueInfo.Add(new Protobuf.ValueInfoProto
        {
            Name = "m",
            Type = new Protobuf.TypeProto { TensorType = new Protobuf.TypeProto.Types.Tensor { ElemType = (int)OnnxDataType.Float16 } },
        });
        model.ExposeOutput("m");
        Assert.That(model.Outputs[^1], Is.EqualTo(new TensorInfo("m", OnnxDataType.Float16, null)), "declared type, rank unknown");
    }

    [Test]
    public void Cut_at_several_tensors_keeps_what_each_needs()
    {
        var model = SyntheticModels.MatMulAdd();
        model.CutAt("features", "pooled");
        Assert.That(model.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "features", "pooled" }));
        Assert.That(model.Nodes.Select(n => n.OpType), Is.EqualTo(new[] { "Conv", "Relu", "GlobalAveragePool", "Reshape" }));
        Assert.That(model.Initializers.Select(i => i.Name), Is.EquivalentTo(new[] { "stem.weight", "stem.bias", "flat_shape" }));
        Assert.That(model.FindProblems(), Is.Empty);
    }
}
