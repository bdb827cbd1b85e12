using OnnxTransfer.Onnx.Protobuf;

namespace OnnxTransfer.Onnx;

internal static class ValueInfos
{
    /// <summary>A value_info of tensor type; the shape is left out when the rank is unknown.</summary>
    public static ValueInfoProto Create(TensorInfo info)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)info.ElementType };
        if (info.Shape is not null) tensor.Shape = info.Shape.ToProto();
        return new ValueInfoProto { Name = info.Name, Type = new TypeProto { TensorType = tensor } };
    }
}
