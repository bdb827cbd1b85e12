namespace OnnxTransfer.Runtime;

/// <summary>A model input or output as the session declares it.</summary>
/// <param name="Name">The graph name, e.g. "input".</param>
/// <param name="ValueType">Tensor for every model OnnxTransfer handles; sequences and maps are reported but not run.</param>
/// <param name="ElementType">The tensor element type (<see cref="TensorElementType.Undefined"/> for non-tensors).</param>
/// <param name="Shape">The declared tensor shape with symbolic dimensions kept; null for non-tensors.</param>
public sealed record ValueMetadata(string Name, OnnxValueType ValueType, TensorElementType ElementType, TensorShape? Shape)
{
    public override string ToString() =>
        ValueType == OnnxValueType.Tensor ? $"{Name}: {ElementType.DisplayName()}{Shape}" : $"{Name}: {ValueType}";
}

/// <summary>ORT's <c>ONNXType</c>: what kind of value an input, output or <see cref="OrtValue"/> holds.</summary>
public enum OnnxValueType
{
    Unknown = 0,
    Tensor = 1,
    Sequence = 2,
    Map = 3,
    Opaque = 4,
    SparseTensor = 5,
    Optional = 6,
}
