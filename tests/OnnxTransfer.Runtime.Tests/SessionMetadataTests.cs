using System.Text.Json;
using OnnxTransfer.Runtime.Tests.Support;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Runtime.Tests;

public class SessionMetadataTests
{
    [Test]
    public void InputsAndOutputsKeepTheSymbolicBatchDimension()
    {
        using var session = new InferenceSession(SharedData.MobileNetV2Int8Model);
        TestContext.Out.WriteLine($"inputs: {string.Join("; ", session.Inputs)}  outputs: {string.Join("; ", session.Outputs)}");

        var input = session.Inputs.Single();
        Assert.That(input.Name, Is.EqualTo("input"));
        Assert.That(input.ValueType, Is.EqualTo(OnnxValueType.Tensor));
        Assert.That(input.ElementType, Is.EqualTo(TensorElementType.Float));
        Assert.That(input.Shape!.Dimensions.ToArray(), Is.EqualTo(new long[] { -1, 3, 224, 224 }));
        Assert.That(input.Shape.IsDynamic(0) && !input.Shape.IsDynamic(1));

        var output = session.Outputs.Single();
        Assert.That(output.Name, Is.EqualTo("output"));
        Assert.That(output.ElementType, Is.EqualTo(TensorElementType.Float));
        Assert.That(output.Shape!.Dimensions.ToArray(), Is.EqualTo(new long[] { -1, 1000 }));

        // The symbolic names must be the ones in the model, as another binding (onnxruntime-node) reads them.
        var oracle = JsonDocument.Parse(NodeOracle.Run(
            Path.Combine(AppContext.BaseDirectory, "Oracles", "session-metadata.mjs"), [SharedData.MobileNetV2Int8Model])).RootElement;
        var oracleInput = oracle.GetProperty("inputs")[0].GetProperty("shape");
        var oracleOutput = oracle.GetProperty("outputs")[0].GetProperty("shape");
        Assert.That(oracleInput[0].ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(input.Shape.SymbolicName(0), Is.EqualTo(oracleInput[0].GetString()));
        Assert.That(output.Shape.SymbolicName(0), Is.EqualTo(oracleOutput[0].GetString()));
        Assert.That(input.Shape.SymbolicName(1), Is.Null);
        Assert.That(input.Shape.ToString(), Is.EqualTo($"[{oracleInput[0].GetString()},3,224,224]"));
        Assert.That(session.Input("input"), Is.SameAs(input));
    }

    [Test]
    public void ModelMetadataMatchesTheFileItself()
    {
        var bytes = File.ReadAllBytes(SharedData.MobileNetV2Int8Model);
        var file = OnnxModelFile.Read(bytes);
        using var session = new InferenceSession(SharedData.MobileNetV2Int8Model);
        var metadata = session.Metadata;
        TestContext.Out.WriteLine(metadata with { CustomMetadata = metadata.CustomMetadata });

        Assert.That(metadata.ProducerName, Is.EqualTo(file.ProducerName));
        Assert.That(metadata.GraphName, Is.EqualTo(file.GraphName));
        Assert.That(metadata.GraphDescription, Is.EqualTo(file.GraphDocString));
        Assert.That(metadata.Domain, Is.EqualTo(file.Domain));
        Assert.That(metadata.Description, Is.EqualTo(file.DocString));
        Assert.That(metadata.Version, Is.EqualTo(file.ModelVersion));
        Assert.That(metadata.CustomMetadata, Is.EquivalentTo(file.MetadataProps));
    }

    [Test]
    public void MetadataAddedToTheModelBytesIsReported()
    {
        // Repeated/later protobuf fields may be appended to a serialized message: add two metadata_props (14), a
        // model_version (5) and a doc_string (6) to the shared model and load it from memory.
        var original = File.ReadAllBytes(SharedData.MobileNetV2Int8Model);
        byte[] extended =
        [
            .. original,
            .. Protobuf.MessageField(14, Protobuf.StringField(1, "onnxtransfer.labels"), Protobuf.StringField(2, "ant,bee")),
            .. Protobuf.MessageField(14, Protobuf.StringField(1, "onnxtransfer.fingerprint"), Protobuf.StringField(2, "sha256:0123")),
            .. Protobuf.VarintField(5, 42),
            .. Protobuf.StringField(6, "MobileNetV2 with a head"),
        ];
        using var session = new InferenceSession(extended);
        var expected = OnnxModelFile.Read(extended);
        Assert.That(session.Metadata.CustomMetadata, Is.EquivalentTo(expected.MetadataProps));
        Assert.That(session.Metadata.CustomMetadata["onnxtransfer.labels"], Is.EqualTo("ant,bee"));
        Assert.That(session.Metadata.Version, Is.EqualTo(42));
        Assert.That(session.Metadata.Description, Is.EqualTo("MobileNetV2 with a head"));
    }

    [Test]
    public void CpuSessionReportsTheCpuProviderInUse()
    {
        using var session = new InferenceSession(SharedData.MobileNetV2Int8Model);
        Assert.That(session.ActiveProviders, Is.EqualTo(new[] { "CPUExecutionProvider" }));
        Assert.That(session.ProvidersFromNodeAssignment, Is.True, "read from ORT's node assignment record (table entries 407/408)");
        Assert.That(session.Warnings, Is.Empty);
    }

    [Test]
    public void ConfigEntriesReachOrt()
    {
        // Switching ORT's node-assignment record off through a config entry leaves only the registered providers to report.
        using var session = new InferenceSession(SharedData.MobileNetV2Int8Model, new SessionOptions
        {
            ConfigEntries = new Dictionary<string, string> { ["session.record_ep_graph_assignment_info"] = "0" },
        });
        Assert.That(session.ProvidersFromNodeAssignment, Is.False);
        Assert.That(session.ActiveProviders, Is.EqualTo(new[] { "CPUExecutionProvider" }));
    }
}
