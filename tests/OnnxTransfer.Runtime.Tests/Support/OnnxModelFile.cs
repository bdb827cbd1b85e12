namespace OnnxTransfer.Runtime.Tests.Support;

/// <summary>The model-level fields of an ONNX file read straight from its protobuf bytes (ModelProto field numbers).</summary>
internal sealed record OnnxModelFile(
    string ProducerName, string Domain, long? ModelVersion, string DocString, string GraphName, string GraphDocString,
    IReadOnlyDictionary<string, string> MetadataProps)
{
    public static OnnxModelFile Read(ReadOnlyMemory<byte> model)
    {
        string producer = "", domain = "", doc = "", graphName = "", graphDoc = "";
        long? version = null;
        var props = new Dictionary<string, string>();
        foreach (var (field, _, value, payload) in Protobuf.Fields(model))
        {
            switch (field)
            {
                case 2: producer = Protobuf.Text(payload); break;
                case 4: domain = Protobuf.Text(payload); break;
                case 5: version = (long)value; break;
                case 6: doc = Protobuf.Text(payload); break;
                case 7:
                    foreach (var (g, _, _, gp) in Protobuf.Fields(payload))
                    {
                        if (g == 2) graphName = Protobuf.Text(gp);
                        else if (g == 10) graphDoc = Protobuf.Text(gp);
                    }
                    break;
                case 14:
                    string key = "", text = "";
                    foreach (var (e, _, _, ep) in Protobuf.Fields(payload))
                    {
                        if (e == 1) key = Protobuf.Text(ep);
                        else if (e == 2) text = Protobuf.Text(ep);
                    }
                    props[key] = text;
                    break;
            }
        }
        return new OnnxModelFile(producer, domain, version, doc, graphName, graphDoc, props);
    }
}
