using static OnnxTransfer.Runtime.Tests.Support.Protobuf;

namespace OnnxTransfer.Runtime.Tests.Support;

/// <summary>Hand-written one-node ONNX models (opset 13) for checks the shared MobileNetV2 cannot make.</summary>
internal static class TinyModels
{
    /// <summary>y = Identity(x), x and y of <paramref name="type"/> with shape [n, <paramref name="width"/>].</summary>
    public static byte[] Identity(TensorElementType type, int width = 4)
    {
        // TypeProto { tensor_type { elem_type, shape { dim { dim_param "n" }, dim { dim_value width } } } }
        var tensorType = MessageField(1,
            VarintField(1, (long)type),
            MessageField(2,
                MessageField(1, StringField(2, "n")),
                MessageField(1, VarintField(1, width))));
        var typeProto = MessageField(2, tensorType); // ValueInfoProto.type
        var input = MessageField(11, StringField(1, "x"), typeProto);
        var output = MessageField(12, StringField(1, "y"), typeProto);
        var node = MessageField(1, StringField(1, "x"), StringField(2, "y"), StringField(3, "identity"), StringField(4, "Identity"));
        var graph = MessageField(7, node, StringField(2, "tiny"), input, output);
        return
        [
            .. VarintField(1, 8),                                           // ir_version
            .. StringField(2, "onnxtransfer-tests"),                        // producer_name
            .. graph,
            .. MessageField(8, StringField(1, ""), VarintField(2, 13)),     // opset_import: default domain, 13
        ];
    }
}
