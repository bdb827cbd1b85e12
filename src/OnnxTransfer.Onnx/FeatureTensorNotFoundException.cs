namespace OnnxTransfer.Onnx;

/// <summary>
/// <see cref="FeatureTensorLocator"/> could not recognise a classifier layer; the message says where it looked and what it
/// found, and that the feature tensor can be named explicitly.
/// </summary>
public sealed class FeatureTensorNotFoundException : OnnxModelException
{
    public FeatureTensorNotFoundException(string message) : base(message) { }
}
