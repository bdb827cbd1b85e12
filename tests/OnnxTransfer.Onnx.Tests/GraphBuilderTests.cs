using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx.Tests;

public class GraphBuilderTests
{
    [Test]
    public void Builds_typed_inputs_outputs_initializers_and_attributes()
    {
        var b = new GraphBuilder("g", opsetVersion: 15, irVersion: 8);
        var x = b.AddInput("x", OnnxDataType.Float, "batch", 4);
        var w = b.AddInitializer("w", [1f, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
        var shape = b.AddInitializer("shape", [-1L, 2], [2]);
        var gemm = b.AddNode("Gemm", [x, w], name: "fc").Float("alpha", 0.5f).Int("transB", 1).Output;
        b.AddNode("Reshape", [gemm, shape], ["y"]).Ints("unused_ints", 1, 2).Floats("unused_floats", 0.25f).String("note", "é");
        b.AddOutput("y");
        b.SetMetadata("k", "v");
        var model = b.Build();

        Assert.That(model.IrVersion, Is.EqualTo(8));
        Assert.That(model.OpsetImports, Is.EqualTo(new[] { new OpsetImport("", 15) }));
        Assert.That(model.Inputs.Single(), Is.EqualTo(new TensorInfo("x", OnnxDataType.Float, new TensorShape("batch", 4))));
        // The output's type and shape were inferred: Gemm [batch,4]x[2,4]^T = [batch,2], Reshape [-1,2] keeps batch.
        Assert.That(model.Outputs.Single(), Is.EqualTo(new TensorInfo("y", OnnxDataType.Float, new TensorShape("batch", 2))));
        Assert.That(gemm, Is.EqualTo("fc_output"));
        Assert.That(model.GetMetadata("k"), Is.EqualTo("v"));

        var fc = model.Proto.Graph.Node[0];
        Assert.That(fc.Attribute.Select(a => (a.Name, a.Type)), Is.EqualTo(new[]
        {
            ("alpha", AttributeProto.Types.AttributeType.Float),
            ("transB", AttributeProto.Types.AttributeType.Int),
        }));
        Assert.That(fc.Attribute[0].F, Is.EqualTo(0.5f));
        var reshape = model.Proto.Graph.Node[1];
        Assert.That(reshape.Attribute[0].Ints, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(reshape.Attribute[1].Floats, Is.EqualTo(new[] { 0.25f }));
        Assert.That(reshape.Attribute[2].S.ToStringUtf8(), Is.EqualTo("é"));
        Assert.That(model.ReadInitializerBytes("w"), Is.EqualTo(new[] { 1f, 2, 3, 4, 5, 6, 7, 8 }.SelectMany(BitConverter.GetBytes)));
        Assert.That(model.ReadInitializerBytes("shape"), Is.EqualTo(new[] { -1L, 2 }.SelectMany(BitConverter.GetBytes)));
    }

    [TestCase(7, 3)]
    [TestCase(13, 7)]
    [TestCase(15, 8)]
    [TestCase(17, 8)]
    [TestCase(21, 10)]
    public void The_ir_version_defaults_to_the_one_released_with_the_opset(long opset, long ir)
    {
        var b = new GraphBuilder(opsetVersion: opset);
        var x = b.AddInput("x", OnnxDataType.Float, 1);
        b.AddNode("Relu", [x], ["y"]);
        b.AddOutput("y");
        Assert.That(b.Build().IrVersion, Is.EqualTo(ir));
    }

    [Test]
    public void Before_ir_4_initializers_are_also_listed_as_graph_inputs_but_not_reported_as_inputs()
    {
        var model = SyntheticModels.ModelZooV1();
        Assert.That(model.IrVersion, Is.EqualTo(3));
        Assert.That(model.Proto.Graph.Input.Select(i => i.Name), Is.SupersetOf(model.Initializers.Select(i => i.Name)));
        Assert.That(model.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "image" }));
        Assert.That(model.FindProblems(), Is.Empty);
    }

    [Test]
    public void Unique_names_never_repeat_and_taken_names_are_refused()
    {
        var b = new GraphBuilder();
        Assert.That(b.UniqueName("t"), Is.EqualTo("t"));
        Assert.That(b.UniqueName("t"), Is.EqualTo("t_1"));
        Assert.That(b.UniqueName("t"), Is.EqualTo("t_2"));
        b.AddInput("x", OnnxDataType.Float, 1);
        Assert.That(b.UniqueName("x"), Is.EqualTo("x_1"));
        var ex = Assert.Throws<ArgumentException>(() => b.AddInitializer("x", [1f], [1]));
        Assert.That(ex!.Message, Does.Contain("'x'").And.Contain("UniqueName"));
        // Unnamed nodes are named after their op type, uniquely.
        var first = b.AddNode("Relu", ["x"]);
        var second = b.AddNode("Relu", [first.Output]);
        Assert.That((first.Name, second.Name), Is.EqualTo(("Relu", "Relu_1")));
        Assert.That(second.Output, Is.Not.EqualTo(first.Output));
    }

    [Test]
    public void Initializer_values_must_match_their_dims()
    {
        var b = new GraphBuilder();
        var ex = Assert.Throws<ArgumentException>(() => b.AddInitializer("w", [1f, 2, 3], [2, 2]));
        Assert.That(ex!.Message, Does.Contain("'w'").And.Contain("[2,2]").And.Contain("3 values"));
        Assert.Throws<ArgumentException>(() => b.AddInitializer<short>("h", OnnxDataType.Float, [1, 2], [2]), "element sizes differ");
    }

    [Test]
    public void Build_refuses_an_invalid_graph_naming_the_node_and_tensor()
    {
        var b = new GraphBuilder();
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        b.AddNode("Add", [x, "missing"], ["y"], name: "adder");
        b.AddOutput("y", OnnxDataType.Float, 2);
        var ex = Assert.Throws<OnnxValidationException>(() => b.Build());
        Assert.That(ex!.Problems, Has.Some.Contains("'adder'").And.Some.Contains("'missing'"));
    }

    [Test]
    public void An_output_whose_type_cannot_be_inferred_must_be_typed_explicitly()
    {
        var b = new GraphBuilder();
        b.ImportOpset("com.example", 1);
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        b.AddNode("Mystery", [x], ["y"], domain: "com.example");
        b.AddOutput("y");
        var ex = Assert.Throws<OnnxModelException>(() => b.Build());
        Assert.That(ex!.Message, Does.Contain("'y'").And.Contain("AddOutput(name, type, shape)"));
    }

    [Test]
    public void Models_already_built_do_not_change_when_the_builder_goes_on()
    {
        var b = new GraphBuilder();
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        b.AddNode("Relu", [x], ["y"]);
        b.AddOutput("y");
        var first = b.Build();
        b.AddNode("Relu", ["y"], ["z"]);
        Assert.That(first.NodeCount, Is.EqualTo(1));
    }
}
