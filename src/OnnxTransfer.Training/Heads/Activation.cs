namespace OnnxTransfer.Training.Heads;

/// <summary>The non-linearity applied to a dense layer's output.</summary>
public enum Activation
{
    /// <summary>None (the output layer, whose logits go through the head's softmax).</summary>
    Identity,
    Relu,
    /// <summary>Exact GELU, <c>x·Φ(x)</c> with the normal CDF (PyTorch's default, ONNX Gelu / Erf).</summary>
    Gelu,
}
