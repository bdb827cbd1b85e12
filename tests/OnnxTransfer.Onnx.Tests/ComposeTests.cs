using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

public class ComposeTests
{
    private const string Feature = SharedData.MobileNetV2FeatureTensor;
    private const int Classes = 2;
    private static readonly float[] Weight = SyntheticModels.Values(Classes * SharedData.MobileNetV2FeatureDim, 31);
    private static readonly float[] Bias = SyntheticModels.Values(Classes, 32);

    /// <summary>The head the trainer will export: features [batch, D] → Gemm (W [classes, D], transB=1) → Softmax.</summary>
    private static OnnxModel Head(long opset = 13, int dimension = SharedData.MobileNetV2FeatureDim, string output = "probabilities",
        OnnxDataType type = OnnxDataType.Float)
    {
        var b = new GraphBuilder("head", opsetVersion: opset);
        var x = b.AddInput("features", type, "batch", dimension);
        var w = dimension == SharedData.MobileNetV2FeatureDim
            ? b.AddInitializer("W", Weight, [Classes, dimension])
            : b.AddInitializer("W", SyntheticModels.Values(Classes * dimension, 33), [Classes, dimension]);
        var bias = b.AddInitializer("b", Bias, [Classes]);
        var logits = b.AddNode("Gemm", [x, w, bias], ["logits"], name: "classifier").Int("transB", 1).Output;
        b.AddNode("Softmax", [logits], [output], name: "softmax").Int("axis", 1);
        b.AddOutput(output);
        b.SetMetadata("labels", "ants\nbees");
        return b.Build();
    }

    private static OnnxModel CutBackbone()
    {
        var backbone = MobileNetV2.Load();
        backbone.CutAt(Feature);
        return backbone;
    }

    [Test]
    public void Appending_a_head_to_the_cut_backbone_gives_one_valid_graph_with_prefixed_head_names()
    {
        var backbone = CutBackbone();
        var backboneNodes = backbone.NodeCount;
        var backboneInitializers = backbone.Initializers.Select(i => i.Name).ToHashSet();
        var head = Head();
        var headBefore = head.Proto.Clone();

        backbone.Append(head, Feature, "features", "head/");

        Assert.That(backbone.FindProblems(), Is.Empty);
        Assert.That(head.Proto, Is.EqualTo(headBefore), "the head model is not changed");
        var output = backbone.Outputs.Single();
        Assert.That(output.Name, Is.EqualTo("probabilities"));
        Assert.That(output.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(output.Shape![1].Value, Is.EqualTo(Classes));
        Assert.That(backbone.Inputs.Single().Name, Is.EqualTo("input"));

        var added = backbone.Nodes.Skip(backboneNodes).ToList();
        Assert.That(added.Select(n => n.Name), Is.EqualTo(new[] { "head/classifier", "head/softmax" }));
        Assert.That(added[0].Inputs, Is.EqualTo(new[] { Feature, "head/W", "head/b" }), "wired to the backbone's feature tensor");
        Assert.That(added[0].Outputs, Is.EqualTo(new[] { "head/logits" }));
        Assert.That(added[1].Outputs, Is.EqualTo(new[] { "probabilities" }), "the head's output keeps its name");
        Assert.That(backbone.Initializers.Select(i => i.Name).Where(n => !backboneInitializers.Contains(n)), Is.EquivalentTo(new[] { "head/W", "head/b" }));
        Assert.That(backbone.GetOpsetVersion(""), Is.EqualTo(15), "Gemm and Softmax are unchanged from opset 13 to 15");
        Assert.That(head.IrVersion, Is.LessThan(MobileNetV2.Load().IrVersion));
        Assert.That(backbone.IrVersion, Is.EqualTo(MobileNetV2.Load().IrVersion), "the higher IR version of the two");
        Assert.That(backbone.GetMetadata("labels"), Is.EqualTo("ants\nbees"));
        Assert.That(backbone.GetMetadata("onnx.infer"), Is.Not.Null, "the backbone's metadata stays");
    }

    [Test]
    public void Composed_model_computes_the_head_on_the_backbone_features_in_onnx_runtime()
    {
        using var temp = new TempDirectory();
        var cut = CutBackbone();
        cut.Save(temp.File("backbone.onnx"));
        var composed = CutBackbone();
        composed.Append(Head(), Feature, "features", "head/");
        composed.Save(temp.File("composed.onnx"));

        var results = OrtOracle.Run(MobileNetV2.ReferenceInput("astronaut"), temp.File("backbone.onnx"), temp.File("composed.onnx"));
        var features = results[0].Outputs[Feature].Data;
        var probabilities = results[1].Outputs["probabilities"];

        // softmax(W·f + b), computed here from the backbone's own features.
        var logits = new double[Classes];
        for (var c = 0; c < Classes; c++)
        {
            logits[c] = Bias[c];
            for (var k = 0; k < features.Length; k++) logits[c] += (double)Weight[c * features.Length + k] * features[k];
        }
        var max = logits.Max();
        var sum = logits.Sum(l => Math.Exp(l - max));
        var expected = logits.Select(l => (float)(Math.Exp(l - max) / sum)).ToArray();

        Assert.That(probabilities.Dims, Is.EqualTo(new long[] { 1, Classes }));
        Assert.That(probabilities.Data, Is.EqualTo(expected).Within(1e-5));
        Assert.That(results[1].OutputNames, Is.EqualTo(new[] { "probabilities" }));
    }

    [Test]
    public void Appending_to_the_uncut_backbone_drops_the_old_classifier()
    {
        var full = MobileNetV2.Load();
        full.Append(Head(), Feature, "features", "head/");
        var cutThenAppended = CutBackbone();
        cutThenAppended.Append(Head(), Feature, "features", "head/");

        Assert.That(full.Nodes.Where(n => n.Name.StartsWith("/classifier")), Is.Empty);
        Assert.That(full.Nodes.Select(n => n.Name), Is.EqualTo(cutThenAppended.Nodes.Select(n => n.Name)));
        Assert.That(full.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "probabilities" }));
    }

    [Test]
    public void Backbone_outputs_can_be_kept_next_to_the_head_outputs()
    {
        var backbone = CutBackbone();
        backbone.Append(Head(), Feature, "features", "head/", new AppendOptions { KeepBackboneOutputs = true });
        Assert.That(backbone.Outputs.Select(o => o.Name), Is.EqualTo(new[] { Feature, "probabilities" }));

        var prefixed = CutBackbone();
        prefixed.Append(Head(), Feature, "features", "h.", new AppendOptions { KeepHeadOutputNames = false });
        Assert.That(prefixed.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "h.probabilities" }));
        Assert.That(prefixed.FindProblems(), Is.Empty);
    }

    [Test]
    public void A_head_trained_on_other_features_is_refused_naming_both_sizes()
    {
        var ex = Assert.Throws<OnnxModelException>(() => CutBackbone().Append(Head(dimension: 2048), Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("2048").And.Contain("1280").And.Contain(Feature));

        ex = Assert.Throws<OnnxModelException>(() => CutBackbone().Append(Head(type: OnnxDataType.Float16), Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("float16").And.Contain("float"));
    }

    [Test]
    public void Conflicting_opsets_are_refused_with_the_operator_that_would_change()
    {
        // Raising the backbone from 15 to 21 would change DequantizeLinear (redefined in opsets 19 and 21).
        var ex = Assert.Throws<OnnxModelException>(() => CutBackbone().Append(Head(opset: 21), Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("DequantizeLinear").And.Contain("opset 15"));

        // Raising a head written for opset 11 to 15 would change Softmax (redefined in opset 13).
        ex = Assert.Throws<OnnxModelException>(() => CutBackbone().Append(Head(opset: 11), Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("Softmax").And.Contain("13"));

        // Other domains must agree exactly.
        var backbone = CutBackbone();
        backbone.Proto.OpsetImport.Add(new Protobuf.OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var head = Head();
        head.Proto.OpsetImport.Add(new Protobuf.OperatorSetIdProto { Domain = "com.microsoft", Version = 2 });
        ex = Assert.Throws<OnnxModelException>(() => backbone.Append(head, Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("com.microsoft"));
    }

    [Test]
    public void Name_collisions_and_wiring_mistakes_are_refused_before_anything_changes()
    {
        var backbone = CutBackbone();
        var before = backbone.Proto.Clone();

        var full = MobileNetV2.Load();
        var ex = Assert.Throws<OnnxModelException>(() => full.Append(Head(output: "output"), Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("'output'").And.Contain("KeepHeadOutputNames"));

        // "/" + "Flatten_output_0"-like names: a prefix that recreates a backbone name.
        var b = new GraphBuilder("head", opsetVersion: 15);
        var x = b.AddInput("features", OnnxDataType.Float, "batch", 1280);
        b.AddNode("Relu", [x], ["Flatten_output_0"]);
        b.AddNode("Identity", ["Flatten_output_0"], ["y"]);
        b.AddOutput("y");
        ex = Assert.Throws<OnnxModelException>(() => backbone.Append(b.Build(), Feature, "features", "/"));
        Assert.That(ex!.Message, Does.Contain("/Flatten_output_0").And.Contain("another prefix"));

        ex = Assert.Throws<OnnxModelException>(() => backbone.Append(Head(), Feature, "x"));
        Assert.That(ex!.Message, Does.Contain("'features'"));
        ex = Assert.Throws<OnnxModelException>(() => backbone.Append(Head(), "/no/such/tensor", "features"));
        Assert.That(ex!.Message, Does.Contain("/no/such/tensor"));

        var twoInputs = new GraphBuilder("head", opsetVersion: 15);
        var f = twoInputs.AddInput("features", OnnxDataType.Float, "batch", 1280);
        var extra = twoInputs.AddInput("temperature", OnnxDataType.Float, 1);
        twoInputs.AddNode("Div", [f, extra], ["y"]);
        twoInputs.AddOutput("y");
        ex = Assert.Throws<OnnxModelException>(() => backbone.Append(twoInputs.Build(), Feature, "features"));
        Assert.That(ex!.Message, Does.Contain("temperature"));

        Assert.That(backbone.Proto, Is.EqualTo(before), "refused compositions leave the backbone as it was");
    }
}
