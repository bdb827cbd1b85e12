using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// <see cref="OnnxModel.ConvertToFloat16"/>: float32 in and out, float16 inside. Checked on onnxruntime-node twice: a
/// float32 twin of the converted graph (every float16 turned back into float32, values kept) must compute what the
/// original computes up to the weights' rounding, so the rewiring is exact; and the float16 graph itself must run and
/// come close, so its types are ones ONNX Runtime accepts.
/// </summary>
public class Float16ConversionTests
{
    private static readonly float[] Input = SyntheticModels.Values(2 * 3 * 8 * 8, 31);

    /// <summary>
    /// image [N,3,8,8] → Conv → Relu → Resize ×2 (scales initializer) → GlobalAveragePool → Flatten = "features" (an
    /// output that is also read further) → Mul Constant(value_float) → Add Range(0, 8, 1) in float → Add
    /// ConstantOfShape (no value: float zeros) → Gemm → "logits".
    /// </summary>
    private static OnnxModel Model()
    {
        var b = new GraphBuilder("fp16_cover", opsetVersion: 17);
        var x = b.AddInput("image", OnnxDataType.Float, "N", 3, 8, 8);
        var w = b.AddInitializer("conv.weight", SyntheticModels.Values(8 * 3 * 3 * 3, 32), [8, 3, 3, 3]);
        var bias = b.AddInitializer("conv.bias", SyntheticModels.Values(8, 33), [8]);
        var conv = b.AddNode("Conv", [x, w, bias]).Ints("kernel_shape", 3, 3).Ints("pads", 1, 1, 1, 1).Output;
        var relu = b.AddNode("Relu", [conv]).Output;
        var scales = b.AddInitializer("resize.scales", new float[] { 1, 1, 2, 2 }, [4]);
        var resized = b.AddNode("Resize", [relu, "", scales]).String("mode", "nearest").Output;
        var pooled = b.AddNode("GlobalAveragePool", [resized]).Output;
        var features = b.AddNode("Flatten", [pooled], ["features"]).Int("axis", 1).Output;
        var half = b.AddNode("Constant", []).Float("value_float", 0.5f).Output;
        var scaled = b.AddNode("Mul", [features, half]).Output;
        var start = b.AddNode("Constant", []).Tensor("value", [0f], []).Output;
        var limit = b.AddNode("Constant", []).Tensor("value", [8f], []).Output;
        var delta = b.AddNode("Constant", []).Tensor("value", [1f], []).Output;
        var range = b.AddNode("Range", [start, limit, delta]).Output;
        var shifted = b.AddNode("Add", [scaled, range]).Output;
        var zeros = b.AddNode("ConstantOfShape", [b.AddInitializer("zeros.shape", new long[] { 8 }, [1])]).Output;
        var total = b.AddNode("Add", [shifted, zeros]).Output;
        var fc = b.AddInitializer("fc.weight", SyntheticModels.Values(4 * 8, 34), [4, 8]);
        b.AddNode("Gemm", [total, fc], ["logits"]).Int("transB", 1);
        b.AddOutput("logits");
        b.AddOutput("features");
        return b.Build();
    }

    [Test]
    public void Float32_stays_outside_and_every_float32_inside_becomes_float16()
    {
        var model = Model();
        Assert.That(model.HasHalfPrecisionTensors, Is.False);

        var result = model.ConvertToFloat16();

        Assert.That(model.HasHalfPrecisionTensors, Is.True);
        Assert.That(model.FindProblems(), Is.Empty);
        Assert.That(model.Inputs.Select(i => (i.Name, i.ElementType)), Is.EqualTo(new[] { ("image", OnnxDataType.Float) }));
        Assert.That(model.Outputs.Select(o => (o.Name, o.ElementType)),
            Is.EqualTo(new[] { ("logits", OnnxDataType.Float), ("features", OnnxDataType.Float) }));
        var graph = model.Proto.Graph;
        Assert.That(graph.Initializer.Where(t => t.DataType == (int)OnnxDataType.Float).Select(t => t.Name), Is.Empty, "no float32 weight left");
        Assert.That(result, Is.EqualTo(new Float16ConversionResult(Initializers: 4, Constants: 5, Saturated: 0, KeptInFloat32: 2, CastInputs: 1, CastOutputs: 2)));

        // The image is cast once, at the start; each output is cast from its float16 twin, which other nodes read.
        Assert.That(graph.Node[0].OpType, Is.EqualTo("Cast"));
        Assert.That((graph.Node[0].Input[0], To(graph.Node[0])), Is.EqualTo(("image", OnnxDataType.Float16)));
        var conv = graph.Node.Single(n => n.OpType == "Conv");
        Assert.That(conv.Input[0], Is.EqualTo(graph.Node[0].Output[0]));
        var featuresCast = graph.Node.Single(n => n.OpType == "Cast" && n.Output[0] == "features");
        Assert.That(To(featuresCast), Is.EqualTo(OnnxDataType.Float));
        Assert.That(graph.Node.Single(n => n.OpType == "Mul").Input[0], Is.EqualTo(featuresCast.Input[0]), "the float16 features feed the rest");

        // ONNX wants Resize's scales in float32 and has no float16 Range: casts keep those in float32.
        var resize = graph.Node.Single(n => n.OpType == "Resize");
        Assert.That(To(Producer(graph, resize.Input[2])), Is.EqualTo(OnnxDataType.Float));
        var rangeNode = graph.Node.Single(n => n.OpType == "Range");
        Assert.That(rangeNode.Input.Select(i => To(Producer(graph, i))), Is.All.EqualTo(OnnxDataType.Float));
        Assert.That(To(graph.Node.Single(n => n.OpType == "Cast" && n.Input[0] == rangeNode.Output[0])), Is.EqualTo(OnnxDataType.Float16));
        Assert.That(graph.Node.Single(n => n.OpType == "ConstantOfShape").Attribute.Single(a => a.Name == "value").T.DataType,
            Is.EqualTo((int)OnnxDataType.Float16), "float zeros become float16 zeros");
    }

    [Test]
    public void The_converted_graph_computes_what_the_original_does_up_to_float16_weights()
    {
        using var temp = new TempDirectory();
        var original = Model();
        original.Save(temp.File("original.onnx"));
        var converted = Model();
        converted.ConvertToFloat16();
        converted.Save(temp.File("fp16.onnx"));
        WidenedTwin(converted).Save(temp.File("twin.onnx"));
        Npy.WriteFloat32(temp.File("x.npy"), Input, 2, 3, 8, 8);

        var results = OrtOracle.Run(temp.File("x.npy"), temp.File("original.onnx"), temp.File("twin.onnx"), temp.File("fp16.onnx"));

        foreach (var output in new[] { "logits", "features" })
        {
            var expected = results[0].Outputs[output].Data;
            var twin = results[1].Outputs[output].Data;
            Assert.That(results[1].Outputs[output].Dims, Is.EqualTo(results[0].Outputs[output].Dims));
            var scale = expected.Max(MathF.Abs);
            var largest = expected.Zip(twin, (e, t) => MathF.Abs(e - t)).Max();
            Assert.That(largest, Is.LessThan(5e-3f * scale), $"{output}: the twin differs by more than float16 weights explain");
            Assert.That(largest, Is.GreaterThan(0f), $"{output}: the weights were rounded, so something must differ");
            // The float16 graph itself: ONNX Runtime's CPU provider runs it (casting around what it has no float16
            // kernel for), float16 activations added to float16 weights.
            var half = results[2].Outputs[output].Data;
            Assert.That(results[2].Outputs[output].Dims, Is.EqualTo(results[0].Outputs[output].Dims));
            Assert.That(expected.Zip(half, (e, h) => MathF.Abs(e - h)).Max(), Is.LessThan(1e-2f * scale), $"{output}: float16 run");
        }
    }

    [Test]
    public void A_graph_already_in_float16_only_gets_float32_inputs_and_outputs()
    {
        var model = Model();
        model.ConvertToFloat16();
        var half = HalfInputAndOutput(model); // as a converter without "keep float32 inputs and outputs" leaves it
        var nodes = half.Proto.Graph.Node.Count;

        var result = half.ConvertToFloat16();

        Assert.That(result, Is.EqualTo(new Float16ConversionResult(0, 0, 0, 0, CastInputs: 1, CastOutputs: 1)));
        Assert.That(half.Inputs.Single().ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(half.Outputs.Select(o => o.ElementType), Is.All.EqualTo(OnnxDataType.Float));
        Assert.That(half.Proto.Graph.Node, Has.Count.EqualTo(nodes + 2));
        Assert.That(half.FindProblems(), Is.Empty);
    }

    [Test]
    public void Values_beyond_float16_are_stored_as_its_largest_and_counted()
    {
        var b = new GraphBuilder("big", opsetVersion: 17);
        var x = b.AddInput("x", OnnxDataType.Float, "N", 3);
        var w = b.AddInitializer("w", new[] { 1e6f, -1e9f, 0.25f }, [3]);
        b.AddNode("Mul", [x, w], ["y"]);
        b.AddOutput("y");
        var model = b.Build();

        var result = model.ConvertToFloat16();

        Assert.That(result.Saturated, Is.EqualTo(2));
        var halves = MemoryMarshal.Cast<byte, Half>(model.ReadInitializerBytes("w")).ToArray();
        Assert.That(halves.Select(h => (float)h), Is.EqualTo(new[] { 65504f, -65504f, 0.25f }));
    }

    [Test]
    public void External_weights_are_read_and_kept_inline_as_float16()
    {
        using var temp = new TempDirectory();
        var proto = Model().Proto;
        using (var data = File.Create(temp.File("model.data")))
            foreach (var tensor in proto.Graph.Initializer.Where(t => t.DataType == (int)OnnxDataType.Float))
            {
                var offset = data.Position;
                data.Write(tensor.RawData.Span);
                tensor.ClearRawData();
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "model.data" });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (data.Position - offset).ToString() });
            }
        File.WriteAllBytes(temp.File("model.onnx"), proto.ToByteArray());
        var loaded = OnnxModel.Load(temp.File("model.onnx"));
        Assert.That(loaded.HasExternalData, Is.True);

        loaded.ConvertToFloat16();

        Assert.That(loaded.HasExternalData, Is.False, "the float16 weights are inline");
        Assert.That(loaded.Proto.Graph.Initializer.Count(t => t.DataType == (int)OnnxDataType.Float16), Is.EqualTo(4));
        var expected = SyntheticModels.Values(8, 33).Select(v => (float)(Half)v);
        Assert.That(MemoryMarshal.Cast<byte, Half>(loaded.ReadInitializerBytes("conv.bias")).ToArray().Select(h => (float)h), Is.EqualTo(expected));
    }

    [Test]
    public void Control_flow_is_refused_rather_than_half_converted()
    {
        var b = new GraphBuilder("branch", opsetVersion: 17);
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        var flag = b.AddInput("flag", OnnxDataType.Bool);
        b.AddNode("Identity", [x], ["y"]);
        b.AddOutput("y");
        var model = b.Build();
        model.Proto.Graph.Node.Clear(); // replaced by a branch below
        var then = new GraphProto { Name = "then" };
        then.Node.Add(new NodeProto { OpType = "Identity", Input = { x }, Output = { "then_y" } });
        then.Output.Add(new ValueInfoProto { Name = "then_y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxDataType.Float } } });
        var branch = new NodeProto { OpType = "If", Name = "choose", Input = { flag }, Output = { "y" } };
        branch.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then });
        branch.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then.Clone() });
        model.Proto.Graph.Node.Add(branch);

        var refusal = Assert.Throws<OnnxModelException>(() => model.ConvertToFloat16())!;
        Assert.That(refusal.Message, Does.Contain("'choose' (If) has a subgraph").And.Contain("fp32/tf32"));
    }

    [Test]
    public void Opsets_before_6_are_refused_with_the_fix()
    {
        var b = new GraphBuilder("old", opsetVersion: 5);
        var x = b.AddInput("x", OnnxDataType.Float, 2);
        b.AddNode("Relu", [x], ["y"]);
        b.AddOutput("y");
        var refusal = Assert.Throws<OnnxModelException>(() => b.Build().ConvertToFloat16())!;
        Assert.That(refusal.Message, Does.Contain("opset 5").And.Contain("opset 6 or newer"));
    }

    private static OnnxDataType To(NodeProto cast) => (OnnxDataType)cast.Attribute.Single(a => a.Name == "to").I;

    private static NodeProto Producer(GraphProto graph, string tensor) => graph.Node.Single(n => n.Output.Contains(tensor));

    /// <summary>The converted graph with every float16 turned back into float32 (values kept): runnable on a CPU.</summary>
    private static OnnxModel WidenedTwin(OnnxModel converted)
    {
        var twin = converted.Clone();
        var graph = twin.Proto.Graph;
        foreach (var tensor in graph.Initializer) Widen(tensor);
        foreach (var node in graph.Node)
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is { } t) Widen(t);
                if (node.OpType == "Cast" && attribute.Name == "to" && attribute.I == (long)OnnxDataType.Float16) attribute.I = (long)OnnxDataType.Float;
            }
        foreach (var value in graph.ValueInfo.Concat(graph.Input).Concat(graph.Output))
            if (value.Type?.TensorType is { } type && type.ElemType == (int)OnnxDataType.Float16) type.ElemType = (int)OnnxDataType.Float;
        return twin;
    }

    private static void Widen(TensorProto tensor)
    {
        if (tensor.DataType != (int)OnnxDataType.Float16) return;
        var floats = MemoryMarshal.Cast<byte, Half>(tensor.RawData.Span).ToArray().Select(h => (float)h).ToArray();
        tensor.DataType = (int)OnnxDataType.Float;
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(floats.AsSpan()));
    }

    /// <summary>The converted model with its casts at the edges removed: float16 inputs and outputs.</summary>
    private static OnnxModel HalfInputAndOutput(OnnxModel converted)
    {
        var model = converted.Clone();
        var graph = model.Proto.Graph;
        var inputCast = graph.Node[0];
        foreach (var node in graph.Node) for (var i = 0; i < node.Input.Count; i++) if (node.Input[i] == inputCast.Output[0]) node.Input[i] = inputCast.Input[0];
        graph.Node.Remove(inputCast);
        graph.Input[0].Type.TensorType.ElemType = (int)OnnxDataType.Float16;
        var logitsCast = graph.Node.Single(n => n.OpType == "Cast" && n.Output[0] == "logits");
        foreach (var node in graph.Node) for (var i = 0; i < node.Output.Count; i++) if (node.Output[i] == logitsCast.Input[0]) node.Output[i] = "logits";
        graph.Node.Remove(logitsCast);
        graph.Output[0].Type.TensorType.ElemType = (int)OnnxDataType.Float16;
        var featuresCast = graph.Node.Single(n => n.OpType == "Cast" && n.Output[0] == "features");
        graph.Output.RemoveAt(1); // one output, so the float16 one is the only edge left
        graph.Node.Remove(featuresCast);
        return model;
    }
}
