using OnnxTransfer.TestSupport;
using static OnnxTransfer.Onnx.Tests.RawProtobuf;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// Reading the shared int8 MobileNetV2. Expected values come from a raw wire-format scan of the same file (field numbers
/// of the ONNX schema), not from the classes under test.
/// </summary>
public class MobileNetV2ModelTests
{
    private static ReadOnlyMemory<byte> RawGraph => One(MobileNetV2.Bytes, 7).Bytes;

    [Test]
    public void Header_matches_the_raw_file()
    {
        var model = MobileNetV2.Load();
        Assert.That(model.IrVersion, Is.EqualTo(One(MobileNetV2.Bytes, 1).Int64));
        Assert.That(model.ProducerName, Is.EqualTo(One(MobileNetV2.Bytes, 2).Text));
        var rawOpsets = All(MobileNetV2.Bytes, 8)
            .Select(o => new OpsetImport(OpsetImport.NormalizeDomain(All(o.Bytes, 1).Select(d => d.Text).SingleOrDefault() ?? ""), One(o.Bytes, 2).Int64))
            .ToArray();
        Assert.That(model.OpsetImports, Is.EqualTo(rawOpsets));
        Assert.That(model.GetOpsetVersion(""), Is.EqualTo(15), "the shared README documents opset 15");
        Assert.That(model.GetOpsetVersion("ai.onnx"), Is.EqualTo(15));
        Assert.That(model.GetOpsetVersion("com.microsoft"), Is.Null);
    }

    [Test]
    public void Nodes_match_the_raw_file()
    {
        var model = MobileNetV2.Load();
        var rawNodes = All(RawGraph, 1).ToList();
        Assert.That(model.NodeCount, Is.EqualTo(rawNodes.Count));
        Assert.That(model.Nodes.Select(n => n.OpType), Is.EqualTo(rawNodes.Select(n => One(n.Bytes, 4).Text)));
        Assert.That(model.Nodes.Select(n => n.Name), Is.EqualTo(rawNodes.Select(n => One(n.Bytes, 3).Text)));
        var last = rawNodes[^1];
        Assert.That(model.Nodes[^1].Inputs, Is.EqualTo(All(last.Bytes, 1).Select(f => f.Text)));
        Assert.That(model.Nodes[^1].Outputs, Is.EqualTo(All(last.Bytes, 2).Select(f => f.Text)));
        Assert.That(model.Nodes.Select(n => n.Index), Is.EqualTo(Enumerable.Range(0, rawNodes.Count)));
    }

    [Test]
    public void Inputs_and_outputs_match_the_raw_file_and_the_documented_signature()
    {
        var model = MobileNetV2.Load();
        var initializerNames = All(RawGraph, 5).Select(t => One(t.Bytes, 8).Text).ToHashSet();
        var rawInputs = All(RawGraph, 11).Where(v => !initializerNames.Contains(One(v.Bytes, 1).Text)).Select(RawTensorInfo).ToArray();
        var rawOutputs = All(RawGraph, 12).Select(RawTensorInfo).ToArray();
        Assert.That(model.Inputs, Is.EqualTo(rawInputs));
        Assert.That(model.Outputs, Is.EqualTo(rawOutputs));

        // The shared README: input `input` float32 [N,3,224,224], output `output` float32 [N,1000].
        var input = model.Inputs.Single();
        Assert.That(input.Name, Is.EqualTo("input"));
        Assert.That(input.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(input.Shape!.Rank, Is.EqualTo(4));
        Assert.That(input.Shape[0].IsSymbolic, Is.True, "the batch dimension is symbolic");
        Assert.That(input.Shape.Dimensions.Skip(1).Select(d => d.Value), Is.EqualTo(new long?[] { 3, 224, 224 }));
        Assert.That(model.Outputs.Single().Shape![1].Value, Is.EqualTo(File.ReadAllLines(SharedData.ImageNetClasses).Length));
    }

    /// <summary>ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1 | dim_param 2.</summary>
    private static TensorInfo RawTensorInfo(Field valueInfo)
    {
        var tensorType = One(One(valueInfo.Bytes, 2).Bytes, 1).Bytes;
        var dims = All(One(tensorType, 2).Bytes, 1).Select(d =>
        {
            var parts = Parse(d.Bytes);
            return parts.FirstOrDefault(p => p.Number == 1) is { Number: 1 } value ? TensorDimension.Fixed(value.Int64)
                : parts.FirstOrDefault(p => p.Number == 2) is { Number: 2 } symbol ? TensorDimension.Symbolic(symbol.Text)
                : TensorDimension.Unknown;
        });
        return new TensorInfo(One(valueInfo.Bytes, 1).Text, (OnnxDataType)One(tensorType, 1).Int64, new TensorShape(dims));
    }

    [Test]
    public void Initializers_report_type_dims_and_byte_size_as_stored()
    {
        var model = MobileNetV2.Load();
        var raw = All(RawGraph, 5).ToList();
        var initializers = model.Initializers;
        Assert.That(initializers, Has.Count.EqualTo(raw.Count));
        for (var i = 0; i < raw.Count; i++)
        {
            var fields = raw[i].Bytes;
            Assert.That(initializers[i].Name, Is.EqualTo(One(fields, 8).Text));
            Assert.That((int)initializers[i].ElementType, Is.EqualTo(One(fields, 2).Int64));
            Assert.That(initializers[i].Dims, Is.EqualTo(All(fields, 1).Select(d => d.Int64)));
            Assert.That(initializers[i].IsExternal, Is.False);
            // The file stores weights as raw_data and small scales/zero points in the typed fields (float_data 4,
            // int32_data 5); either way the stored little-endian bytes are what ReadInitializerBytes must return.
            var stored = StoredBytes(fields, initializers[i].ElementType);
            Assert.That(initializers[i].ByteSize, Is.EqualTo(stored.Length), initializers[i].Name);
            Bytes.AssertEqual(model.ReadInitializerBytes(initializers[i].Name), stored, initializers[i].Name);
        }
        Assert.That(model.HasExternalData, Is.False);
        Assert.That(model.ExternalData, Is.Empty);
    }

    private static byte[] StoredBytes(ReadOnlyMemory<byte> tensor, OnnxDataType type)
    {
        var fields = Parse(tensor);
        if (fields.Any(f => f.Number == 9)) return fields.Single(f => f.Number == 9).Bytes.ToArray();
        if (fields.Any(f => f.Number == 4))
            return fields.Where(f => f.Number == 4)
                .SelectMany(f => f.Wire == WireType.Length ? f.Bytes.ToArray() : BitConverter.GetBytes((uint)f.Scalar)).ToArray();
        Assert.That(type, Is.AnyOf(OnnxDataType.UInt8, OnnxDataType.Int8), "int32_data is used here for 8-bit zero points only");
        return fields.Where(f => f.Number == 5)
            .SelectMany(f => f.Wire == WireType.Length ? PackedVarints(f.Bytes) : [f.Scalar])
            .Select(v => (byte)v).ToArray();
    }

    private static IEnumerable<ulong> PackedVarints(ReadOnlyMemory<byte> packed)
    {
        // Tag each varint of the packed run as field 1 so the message reader decodes them.
        var tagged = new List<byte>();
        foreach (var chunk in SplitVarints(packed.ToArray())) { tagged.Add(0x08); tagged.AddRange(chunk); }
        return Parse(tagged.ToArray()).Select(f => f.Scalar);
    }

    private static IEnumerable<byte[]> SplitVarints(byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
            if ((bytes[i] & 0x80) == 0)
            {
                yield return bytes[start..(i + 1)];
                start = i + 1;
            }
    }

    [Test]
    public void Metadata_matches_the_raw_file()
    {
        var model = MobileNetV2.Load();
        var raw = All(MobileNetV2.Bytes, 14).ToDictionary(e => One(e.Bytes, 1).Text, e => One(e.Bytes, 2).Text);
        Assert.That(raw, Is.Not.Empty);
        Assert.That(model.Metadata, Is.EquivalentTo(raw));
        foreach (var (key, value) in raw) Assert.That(model.GetMetadata(key), Is.EqualTo(value));
        Assert.That(model.GetMetadata("no such key"), Is.Null);
    }

    [Test]
    public void Locator_finds_the_float_feature_tensor_behind_the_quantize_dequantize_pair()
    {
        var feature = new FeatureTensorLocator().Locate(MobileNetV2.Load());

        Assert.That(feature.Name, Is.EqualTo(SharedData.MobileNetV2FeatureTensor));
        Assert.That(feature.Dimension, Is.EqualTo(SharedData.MobileNetV2FeatureDim));
        Assert.That(feature.ElementType, Is.EqualTo(OnnxDataType.Float));
        Assert.That(feature.Layout, Is.EqualTo(FeatureLayout.Pooled));
        Assert.That(feature.Classifier.OpType, Is.EqualTo("Gemm"));
        Assert.That(feature.NumberOfClasses, Is.EqualTo(File.ReadAllLines(SharedData.ImageNetClasses).Length));
        Assert.That(feature.StartOutput, Is.EqualTo("output"));
        // The located tensor is the one the reference run recorded as features: same width.
        var (shape, _) = Npy.ReadFloat32(SharedData.ReferenceTensor(SharedData.ReferenceNames[0], "features"));
        Assert.That(feature.Dimension, Is.EqualTo(shape[^1]));
        Assert.That(feature.Shape!.Rank, Is.EqualTo(shape.Length));
        Assert.That(feature.Shape[1].Value, Is.EqualTo(shape[1]));
        Assert.That(feature.Explain(), Does.Contain(SharedData.MobileNetV2FeatureTensor).And.Contain("Gemm"));
        // On the classifier side the walk went through the DequantizeLinear/QuantizeLinear pair, not stopping at the copy.
        Assert.That(feature.WalkedThrough.Select(n => n.OpType), Does.Contain("QuantizeLinear").And.Contain("DequantizeLinear"));
    }

    [Test]
    public void Layout_helper_tells_pooled_from_spatial_tensors()
    {
        var model = MobileNetV2.Load();
        Assert.That(FeatureTensorLocator.LayoutOf(model, SharedData.MobileNetV2FeatureTensor), Is.EqualTo(FeatureLayout.Pooled));
        Assert.That(FeatureTensorLocator.LayoutOf(model, "/GlobalAveragePool_output_0"), Is.EqualTo(FeatureLayout.Spatial));
        Assert.That(FeatureTensorLocator.LayoutOf(model, "input"), Is.EqualTo(FeatureLayout.Spatial));
        Assert.That(FeatureTensorLocator.LayoutOf(model, "no such tensor"), Is.EqualTo(FeatureLayout.Unknown));
    }

    [Test]
    public void Inferred_types_and_shapes_agree_with_every_value_info_the_file_declares()
    {
        // Drop the declarations and let inference rebuild them through Conv, Clip, Add, pooling, Flatten, Gemm and QDQ.
        var declared = MobileNetV2.Load();
        var stripped = MobileNetV2.Load();
        stripped.Proto.Graph.ValueInfo.Clear();
        var produced = declared.Nodes.SelectMany(n => n.Outputs).ToHashSet();
        var expectedTensors = declared.DescribeTensors();
        var inferredTensors = stripped.DescribeTensors();
        var checkedCount = 0;
        foreach (var valueInfo in declared.Proto.Graph.ValueInfo.Where(v => produced.Contains(v.Name)))
        {
            var expected = expectedTensors[valueInfo.Name];
            Assert.That(inferredTensors.TryGetValue(valueInfo.Name, out var inferred), Is.True, valueInfo.Name);
            Assert.That(inferred!.ElementType, Is.EqualTo(expected!.ElementType), valueInfo.Name);
            Assert.That(inferred.Shape, Is.EqualTo(expected.Shape), valueInfo.Name);
            checkedCount++;
        }
        Assert.That(checkedCount, Is.GreaterThan(100), "the file declares most intermediate tensors");
    }

    [Test]
    public void Producers_and_consumers_of_the_feature_tensor()
    {
        var model = MobileNetV2.Load();
        Assert.That(model.FindProducer(SharedData.MobileNetV2FeatureTensor)!.OpType, Is.EqualTo("Flatten"));
        Assert.That(model.FindConsumers(SharedData.MobileNetV2FeatureTensor).Select(n => n.OpType), Is.EqualTo(new[] { "QuantizeLinear" }));
        Assert.That(model.FindProducer("input"), Is.Null);
    }

    [Test]
    public void The_untouched_model_is_structurally_valid()
    {
        Assert.That(MobileNetV2.Load().FindProblems(), Is.Empty);
    }
}
