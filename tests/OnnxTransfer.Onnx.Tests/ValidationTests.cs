using OnnxTransfer.Onnx.Protobuf;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

public class ValidationTests
{
    [Test]
    public void Nodes_out_of_topological_order_are_named()
    {
        var model = MobileNetV2.Load();
        var nodes = model.Proto.Graph.Node;
        var flatten = nodes.Single(n => n.OpType == "Flatten");
        nodes.Remove(flatten);
        nodes.Insert(0, flatten);
        var problems = model.FindProblems();
        Assert.That(problems, Has.Some.Contains("'/Flatten'").And.Some.Contains("topological order"));
        var ex = Assert.Throws<OnnxValidationException>(() => model.Validate());
        Assert.That(ex!.Message, Does.Contain("/Flatten"));
    }

    [Test]
    public void Undefined_inputs_duplicate_outputs_and_missing_opsets_are_reported()
    {
        var model = SyntheticModels.Torchvision();
        var graph = model.Proto.Graph;
        graph.Node[^1].Input[0] = "nowhere";
        graph.Node.Add(new NodeProto { Name = "again", OpType = "Relu", Input = { "image" }, Output = { "pooled" } });
        graph.Node.Add(new NodeProto { Name = "custom", OpType = "Fancy", Domain = "com.example", Input = { "image" }, Output = { "fancy" } });
        graph.Output.Add(new ValueInfoProto { Name = "ghost" });

        var problems = model.FindProblems();
        Assert.That(problems, Has.Some.Contains("'/fc/Gemm'").And.Contains("'nowhere'"));
        Assert.That(problems, Has.Some.Contains("'pooled'").And.Contains("'again'"));
        Assert.That(problems, Has.Some.Contains("com.example").And.Contains("opset_import"));
        Assert.That(problems, Has.Some.Contains("'ghost'").And.Contains("produced by no node"));
        Assert.That(problems, Has.Some.Contains("'ghost'").And.Contains("no element type"));
    }

    [Test]
    public void Save_refuses_an_invalid_model_and_writes_nothing()
    {
        using var temp = new TempDirectory();
        var model = SyntheticModels.Torchvision();
        model.Proto.Graph.Initializer.Add(model.Proto.Graph.Initializer[0].Clone());
        var ex = Assert.Throws<OnnxValidationException>(() => model.Save(temp.File("bad.onnx")));
        Assert.That(ex!.Problems, Has.Some.Contains("defined twice"));
        Assert.That(Directory.GetFiles(temp.Path), Is.Empty);

        // Validation can be skipped on purpose (e.g. to inspect a broken export with other tools).
        model.Save(temp.File("bad.onnx"), new SaveOptions { Validate = false });
        Assert.That(File.Exists(temp.File("bad.onnx")), Is.True);
    }

    [Test]
    public void Subgraphs_may_read_outer_scope_tensors_and_cutting_keeps_what_they_read()
    {
        var b = new GraphBuilder("with_if", opsetVersion: 17);
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        var flag = b.AddInput("flag", OnnxDataType.Bool);
        var doubled = b.AddNode("Add", [x, x], ["doubled"]).Output;
        b.AddNode("Relu", [x], ["unused"]);
        b.AddNode("If", [flag], ["chosen"], name: "choose");
        b.AddOutput("chosen", OnnxDataType.Float, 2);
        var model = b.Build();
        // Both branches read "doubled" from the enclosing graph without it being an input of the If node.
        var ifNode = model.Proto.Graph.Node.Single(n => n.OpType == "If");
        ifNode.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("then", doubled) });
        ifNode.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("else", doubled) });

        Assert.That(model.FindProblems(), Is.Empty);
        model.CutAt("chosen");
        Assert.That(model.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "Add", "choose" }), "Relu was unused; Add feeds the branches");
        Assert.That(model.FindProblems(), Is.Empty);

        ifNode.Attribute[0].G.Node[0].Input[0] = "not_defined_anywhere";
        Assert.That(model.FindProblems(), Has.Some.Contains("subgraph 'then'").And.Contains("not_defined_anywhere"));
    }

    private static GraphProto Branch(string name, string outer) => new()
    {
        Name = name,
        Node = { new NodeProto { OpType = "Identity", Input = { outer }, Output = { name + "_out" } } },
        Output = { new ValueInfoProto { Name = name + "_out", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } } },
    };
}
