using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxTransfer.Onnx.Protobuf;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// Models whose weights live in a separate file (data_location = EXTERNAL), written here by hand the way exporters do:
/// one data file, each tensor at an offset, entries "location"/"offset"/"length" relative to the model's directory.
/// </summary>
public class ExternalDataTests
{
    private const string DataLocation = "weights/params.bin";
    private static readonly float[] W1 = SyntheticModels.Values(4 * 6, 21);
    private static readonly float[] B1 = SyntheticModels.Values(6, 22);
    private static readonly float[] W2 = SyntheticModels.Values(6 * 3, 23);
    private static readonly float[] X = SyntheticModels.Values(4, 24);

    /// <summary>x [N,4] → MatMul W1 [4,6] → Add b1 → "hidden" → MatMul W2 [6,3] → "y"; all three weights external.</summary>
    private static string WriteModel(string directory)
    {
        var b = new GraphBuilder("mlp", opsetVersion: 17);
        var x = b.AddInput("x", OnnxDataType.Float, "N", 4);
        var w1 = b.AddInitializer("w1", W1, [4, 6]);
        var b1 = b.AddInitializer("b1", B1, [6]);
        var w2 = b.AddInitializer("w2", W2, [6, 3]);
        var h = b.AddNode("MatMul", [x, w1]).Output;
        var hidden = b.AddNode("Add", [h, b1], ["hidden"]).Output;
        b.AddNode("MatMul", [hidden, w2], ["y"]);
        b.AddOutput("y");
        var proto = b.Build().Proto;

        Directory.CreateDirectory(Path.Combine(directory, "weights"));
        using (var data = File.Create(Path.Combine(directory, DataLocation)))
        {
            // Leave gaps between tensors, as aligned writers do, so offsets matter.
            foreach (var tensor in proto.Graph.Initializer)
            {
                data.Position = (data.Length + 127) / 128 * 128;
                var offset = data.Position;
                data.Write(tensor.RawData.Span);
                tensor.ClearRawData();
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = DataLocation });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (data.Position - offset).ToString() });
            }
        }
        var path = Path.Combine(directory, "model.onnx");
        File.WriteAllBytes(path, proto.ToByteArray());
        return path;
    }

    private static byte[] AsBytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static float[] Hidden()
    {
        var hidden = new float[6];
        for (var j = 0; j < 6; j++)
        {
            var sum = B1[j];
            for (var k = 0; k < 4; k++) sum += X[k] * W1[k * 6 + j];
            hidden[j] = sum;
        }
        return hidden;
    }

    private static float[] Y()
    {
        var hidden = Hidden();
        var y = new float[3];
        for (var j = 0; j < 3; j++)
            for (var k = 0; k < 6; k++) y[j] += hidden[k] * W2[k * 3 + j];
        return y;
    }

    [Test]
    public void Load_keeps_and_reports_the_references_resolved_against_the_model_directory()
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(WriteModel(temp.Path));

        Assert.That(model.HasExternalData, Is.True);
        var references = model.ExternalData;
        Assert.That(references.Select(r => r.TensorName), Is.EqualTo(new[] { "w1", "b1", "w2" }));
        Assert.That(references.Select(r => r.Location), Is.All.EqualTo(DataLocation));
        Assert.That(references.Select(r => r.ResolvedPath), Is.All.EqualTo(Path.Combine(temp.Path, "weights", "params.bin")));
        Assert.That(references.Select(r => r.Offset % 128), Is.All.EqualTo(0));
        Assert.That(references.Select(r => r.Length), Is.EqualTo(new long?[] { 4 * W1.Length, 4 * B1.Length, 4 * W2.Length }));
        Assert.That(references.All(r => r.FileExists), Is.True);

        var w1 = model.Initializers.Single(i => i.Name == "w1");
        Assert.That(w1.IsExternal, Is.True);
        Assert.That(w1.ByteSize, Is.EqualTo(4 * W1.Length));
        Assert.That(w1.Dims, Is.EqualTo(new long[] { 4, 6 }));
        Assert.That(model.ReadInitializerBytes("w1"), Is.EqualTo(AsBytes(W1)));
        Assert.That(model.ReadInitializerBytes("w2"), Is.EqualTo(AsBytes(W2)));
        Assert.That(model.FindProblems(), Is.Empty);
    }

    [Test]
    public void Cut_and_saved_elsewhere_the_model_keeps_working_references()
    {
        using var temp = new TempDirectory();
        var source = Path.Combine(temp.Path, "source");
        var model = OnnxModel.Load(WriteModel(source));
        model.CutAt("hidden");

        Assert.That(model.ExternalData.Select(r => r.TensorName), Is.EqualTo(new[] { "w1", "b1" }), "w2 fed only the removed MatMul");

        // Keep: the referenced file is copied to the same relative place beside the new model.
        var kept = Path.Combine(temp.Path, "kept", "cut.onnx");
        model.Save(kept);
        Assert.That(File.Exists(Path.Combine(temp.Path, "kept", DataLocation)), Is.True);
        var keptModel = OnnxModel.Load(kept);
        Assert.That(keptModel.ExternalData.Select(r => r.ResolvedPath), Is.All.EqualTo(Path.Combine(temp.Path, "kept", "weights", "params.bin")));
        Assert.That(keptModel.ReadInitializerBytes("b1"), Is.EqualTo(AsBytes(B1)));

        // Consolidate: one new data file holding only what the cut model still uses, 4 KiB-aligned.
        var consolidated = Path.Combine(temp.Path, "consolidated", "cut.onnx");
        model.Save(consolidated, new SaveOptions { ExternalData = ExternalDataMode.Consolidate });
        var consolidatedModel = OnnxModel.Load(consolidated);
        Assert.That(consolidatedModel.ExternalData.Select(r => r.Location), Is.All.EqualTo("cut.onnx.data"));
        Assert.That(consolidatedModel.ExternalData.Select(r => r.Offset % 4096), Is.All.EqualTo(0));
        Assert.That(new FileInfo(consolidated + ".data").Length, Is.EqualTo(4096 + 4 * B1.Length), "w1 at 0, b1 at 4096, no w2");
        Assert.That(Directory.Exists(Path.Combine(temp.Path, "consolidated", "weights")), Is.False);
        Assert.That(consolidatedModel.ReadInitializerBytes("w1"), Is.EqualTo(AsBytes(W1)));
        Assert.That(model.BaseDirectory, Is.EqualTo(Path.Combine(temp.Path, "consolidated")), "the model now refers to the saved files");

        // Inline: one self-contained file.
        var inlined = Path.Combine(temp.Path, "inline", "cut.onnx");
        model.Save(inlined, new SaveOptions { ExternalData = ExternalDataMode.Inline });
        Assert.That(Directory.GetFiles(Path.Combine(temp.Path, "inline")), Is.EqualTo(new[] { inlined }));
        var inlineModel = OnnxModel.Load(File.ReadAllBytes(inlined));
        Assert.That(inlineModel.HasExternalData, Is.False);
        Assert.That(inlineModel.ReadInitializerBytes("w1"), Is.EqualTo(AsBytes(W1)));

        // ONNX Runtime reads all of them (it resolves external data itself) and computes the same hidden layer.
        Npy.WriteFloat32(temp.File("x.npy"), X, 1, 4);
        var results = OrtOracle.Run(temp.File("x.npy"), Path.Combine(source, "model.onnx"), kept, consolidated, inlined);
        Assert.That(results[0].Outputs["y"].Data, Is.EqualTo(Y()).Within(1e-5));
        foreach (var result in results.Skip(1))
        {
            Assert.That(result.OutputNames, Is.EqualTo(new[] { "hidden" }));
            Assert.That(result.Outputs["hidden"].Data, Is.EqualTo(Hidden()).Within(1e-5), result.Model);
        }
    }

    [Test]
    public void Saving_beside_the_source_leaves_the_data_file_alone()
    {
        using var temp = new TempDirectory();
        var path = WriteModel(temp.Path);
        var before = File.ReadAllBytes(Path.Combine(temp.Path, DataLocation));
        var model = OnnxModel.Load(path);
        model.SetMetadata("note", "same directory");
        model.Save(temp.File("renamed.onnx"));
        Assert.That(File.ReadAllBytes(Path.Combine(temp.Path, DataLocation)), Is.EqualTo(before));
        Assert.That(OnnxModel.Load(temp.File("renamed.onnx")).ReadInitializerBytes("w2"), Is.EqualTo(AsBytes(W2)));
    }

    [Test]
    public void A_model_read_from_bytes_without_a_directory_cannot_find_its_data_and_says_so()
    {
        using var temp = new TempDirectory();
        var model = OnnxModel.Load(File.ReadAllBytes(WriteModel(temp.Path)));
        Assert.That(model.ExternalData.Select(r => r.ResolvedPath), Is.All.Null);
        var save = Assert.Throws<OnnxModelException>(() => model.Save(temp.File("elsewhere/m.onnx")));
        Assert.That(save!.Message, Does.Contain("base directory").And.Contain(DataLocation));
        var read = Assert.Throws<OnnxModelException>(() => model.ReadInitializerBytes("w1"));
        Assert.That(read!.Message, Does.Contain("baseDirectory"));

        // Given the directory, the same bytes work.
        var located = OnnxModel.Load(File.ReadAllBytes(temp.File("model.onnx")), temp.Path);
        Assert.That(located.ReadInitializerBytes("w1"), Is.EqualTo(AsBytes(W1)));
    }

    [Test]
    public void Missing_or_escaping_data_files_are_reported()
    {
        using var temp = new TempDirectory();
        var path = WriteModel(temp.Path);
        var model = OnnxModel.Load(path);
        File.Delete(Path.Combine(temp.Path, DataLocation));
        Assert.That(model.FindProblems(), Has.Some.Contains("does not exist").And.Some.Contains("w1"));
        Assert.Throws<OnnxValidationException>(() => model.Save(temp.File("again.onnx")));

        var escaping = OnnxModel.Load(path);
        foreach (var tensor in escaping.Proto.Graph.Initializer)
            tensor.ExternalData.Single(e => e.Key == "location").Value = "../params.bin";
        Assert.That(escaping.FindProblems(), Has.Some.Contains("outside the model's directory"));
    }

    [Test]
    public void Damaged_external_entries_are_refused_at_load_naming_the_tensor()
    {
        using var temp = new TempDirectory();
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(WriteModel(temp.Path)));
        proto.Graph.Initializer[1].ExternalData.Single(e => e.Key == "offset").Value = "twelve";
        var ex = Assert.Throws<OnnxModelException>(() => OnnxModel.Load(proto.ToByteArray(), temp.Path));
        Assert.That(ex!.Message, Does.Contain("'b1'").And.Contain("twelve"));

        proto.Graph.Initializer[1].ExternalData.Clear();
        ex = Assert.Throws<OnnxModelException>(() => OnnxModel.Load(proto.ToByteArray(), temp.Path));
        Assert.That(ex!.Message, Does.Contain("'b1'").And.Contain("location"));
    }

    [Test]
    public void Inlining_more_than_a_protobuf_can_hold_is_refused_with_the_fix()
    {
        using var temp = new TempDirectory();
        var b = new GraphBuilder("huge");
        var x = b.AddInput("x", OnnxDataType.Float, 1);
        b.AddInitializer("big", [0f], [1]);
        b.AddNode("Add", [x, "big"], ["y"]);
        b.AddOutput("y");
        var model = b.Build();
        // 600M floats = 2.4 GB, in a sparse file that takes no real disk space.
        const long Count = 600_000_000;
        var big = model.Proto.Graph.Initializer.Single();
        big.Dims[0] = Count;
        big.ClearRawData();
        big.DataLocation = TensorProto.Types.DataLocation.External;
        big.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "big.bin" });
        using (var file = File.Create(temp.File("big.bin"))) file.SetLength(4 * Count);
        var located = OnnxModel.Load(model.ToBytes(), temp.Path);

        var ex = Assert.Throws<OnnxModelException>(() => located.Save(temp.File("huge.onnx"), new SaveOptions { ExternalData = ExternalDataMode.Inline }));
        Assert.That(ex!.Message, Does.Contain("2 GiB").And.Contain("external data"));
        Assert.That(File.Exists(temp.File("huge.onnx")), Is.False);
        Assert.That(located.HasExternalData, Is.True, "a refused save changes nothing");
    }
}
