using System.Text;
using OnnxTransfer.Onnx.Protobuf;
using OnnxTransfer.TestSupport;
using static OnnxTransfer.Onnx.Tests.RawProtobuf;

namespace OnnxTransfer.Onnx.Tests;

public class RoundTripTests
{
    [Test]
    public void Untouched_model_serialises_to_the_identical_bytes()
    {
        // Byte identity holds because the schema is proto2 with ONNX's exact packing (presence and encodings preserved)
        // and both the exporter and Google.Protobuf write fields in field-number order.
        var model = OnnxModel.Load(SharedData.MobileNetV2Int8Model);
        Bytes.AssertEqual(model.ToBytes(), MobileNetV2.Bytes);
    }

    [Test]
    public void Save_then_load_gives_an_equal_model_and_identical_file()
    {
        using var temp = new TempDirectory();
        var path = temp.File("copy.onnx");
        var model = MobileNetV2.Load();
        model.Save(path);

        Bytes.AssertEqual(File.ReadAllBytes(path), MobileNetV2.Bytes);
        var again = OnnxModel.Load(path);
        Assert.That(again.Proto, Is.EqualTo(model.Proto));
        Assert.That(again.BaseDirectory, Is.EqualTo(temp.Path));
        Assert.That(Directory.GetFiles(temp.Path), Is.EqualTo(new[] { path }), "no temporary file is left behind");
    }

    [Test]
    public void Save_replaces_an_existing_file()
    {
        using var temp = new TempDirectory();
        var path = temp.File("model.onnx");
        File.WriteAllText(path, "old contents");
        var model = MobileNetV2.Load();
        model.SetMetadata("replaced", "yes");
        model.Save(path);
        Assert.That(OnnxModel.Load(path).GetMetadata("replaced"), Is.EqualTo("yes"));
        Assert.That(Directory.GetFiles(temp.Path), Has.Length.EqualTo(1));
    }

    [Test]
    public void Fields_the_schema_lacks_survive_a_round_trip_at_every_level()
    {
        // Inject real ONNX fields this library's schema leaves out (ModelProto.training_info 20, NodeProto.overload 8,
        // TensorProto.segment 3) and made-up field numbers of every wire type, in the model, the graph, a node and a tensor.
        var original = MobileNetV2.Bytes;
        var modelFields = Parse(original);
        var graphIndex = modelFields.FindIndex(f => f.Number == 7);
        var graphFields = Parse(modelFields[graphIndex].Bytes);
        // A node and an initializer that the cut below keeps: the Flatten producing the features, the input's scale.
        var nodeIndex = graphFields.FindIndex(f => f.Number == 1 && One(f.Bytes, 4).Text == "Flatten");
        var tensorIndex = graphFields.FindIndex(f => f.Number == 5 && One(f.Bytes, 8).Text == "input_scale");

        graphFields[nodeIndex] = BytesField(1, Encode([.. Parse(graphFields[nodeIndex].Bytes), TextField(8, "overload-name"), Fixed32Field(4001, 0xCAFEBABE)]));
        graphFields[tensorIndex] = BytesField(5, Encode([.. Parse(graphFields[tensorIndex].Bytes), BytesField(3, Encode([VarintField(1, 0), VarintField(2, 7)]))]));
        graphFields.Add(VarintField(3001, 424242));
        modelFields[graphIndex] = BytesField(7, Encode(graphFields));
        modelFields.Add(BytesField(20, Encode([TextField(4, "update-binding")])));
        modelFields.Add(Fixed64Field(2001, 0x0123456789ABCDEF));
        modelFields.Add(TextField(2002, "unknown text"));
        var injected = Encode(modelFields);

        var model = OnnxModel.Load(injected);
        // Unknown fields go back at the end of their message, where they were injected: the bytes are identical.
        Bytes.AssertEqual(model.ToBytes(), injected);

        // After edits too, they are still there, in the right messages.
        model.SetMetadata("edited", "true");
        model.CutAt(SharedData.MobileNetV2FeatureTensor);
        var written = model.ToBytes();
        var top = Parse(written);
        Assert.That(top.Single(f => f.Number == 2001).Scalar, Is.EqualTo(0x0123456789ABCDEFUL));
        Assert.That(top.Single(f => f.Number == 2002).Text, Is.EqualTo("unknown text"));
        Assert.That(One(top.Single(f => f.Number == 20).Bytes, 4).Text, Is.EqualTo("update-binding"));
        var graph = top.Single(f => f.Number == 7).Bytes;
        Assert.That(One(graph, 3001).Scalar, Is.EqualTo(424242UL));
        var flatten = All(graph, 1).Single(n => One(n.Bytes, 4).Text == "Flatten");
        Assert.That(One(flatten.Bytes, 8).Text, Is.EqualTo("overload-name"));
        Assert.That(One(flatten.Bytes, 4001).Scalar, Is.EqualTo(0xCAFEBABEUL));
        var inputScale = All(graph, 5).Single(t => One(t.Bytes, 8).Text == "input_scale");
        Assert.That(One(One(inputScale.Bytes, 3).Bytes, 2).Scalar, Is.EqualTo(7UL));
    }

    [Test]
    public void Metadata_set_and_replaced_is_saved()
    {
        using var temp = new TempDirectory();
        var model = MobileNetV2.Load();
        model.SetMetadata("labels", "ants\nbees");
        model.SetMetadata("labels", "ants\nbees\nwasps");
        model.SetMetadata("onnx.infer", "changed");
        model.Save(temp.File("m.onnx"));

        var again = OnnxModel.Load(temp.File("m.onnx"));
        Assert.That(again.GetMetadata("labels"), Is.EqualTo("ants\nbees\nwasps"));
        Assert.That(again.GetMetadata("onnx.infer"), Is.EqualTo("changed"));
        Assert.That(again.Proto.MetadataProps.Count(e => e.Key == "labels"), Is.EqualTo(1), "keys stay distinct");
        Assert.That(again.RemoveMetadata("labels"), Is.True);
        Assert.That(again.GetMetadata("labels"), Is.Null);
    }

    [Test]
    public void Clone_is_independent()
    {
        var model = MobileNetV2.Load();
        var copy = model.Clone();
        copy.CutAt(SharedData.MobileNetV2FeatureTensor);
        Assert.That(model.NodeCount, Is.GreaterThan(copy.NodeCount));
        Assert.That(model.Outputs.Single().Name, Is.EqualTo("output"));
    }

    [Test]
    public void Missing_file_is_refused_with_the_path()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxModel.Load("/no/such/dir/model.onnx"));
        Assert.That(ex!.Message, Does.Contain("/no/such/dir/model.onnx"));
    }

    [Test]
    public void A_file_that_is_not_a_model_is_refused()
    {
        using var temp = new TempDirectory();
        // A text file is not a protobuf; an empty file parses to an empty message, which is no model either.
        var ex = Assert.Throws<OnnxModelException>(() => OnnxModel.Load(SharedData.ImageNetClasses));
        Assert.That(ex!.Message, Does.Contain("imagenet_classes.txt").And.Contain("not an ONNX model"));
        File.WriteAllBytes(temp.File("empty.onnx"), []);
        var empty = Assert.Throws<OnnxModelException>(() => OnnxModel.Load(temp.File("empty.onnx")));
        Assert.That(empty!.Message, Does.Contain("empty.onnx' holds no ONNX graph")); // once "empty.onnx hold no ONNX graph"
        Assert.Throws<OnnxModelException>(() => OnnxModel.Load(Encoding.UTF8.GetBytes("ir_version: 8")));
        var bytes = Assert.Throws<OnnxModelException>(() => OnnxModel.Load(Array.Empty<byte>()));
        Assert.That(bytes!.Message, Does.StartWith("The model bytes hold no ONNX graph"));
        // A truncated model file is refused too.
        File.WriteAllBytes(temp.File("truncated.onnx"), MobileNetV2.Bytes[..(MobileNetV2.Bytes.Length / 2)]);
        Assert.Throws<OnnxModelException>(() => OnnxModel.Load(temp.File("truncated.onnx")));
    }

    [Test]
    public void A_model_built_from_a_proto_is_wrapped_not_copied()
    {
        var proto = new ModelProto { IrVersion = 8, Graph = new GraphProto() };
        var model = OnnxModel.FromProto(proto);
        model.SetMetadata("k", "v");
        Assert.That(proto.MetadataProps.Single().Value, Is.EqualTo("v"));
    }
}
