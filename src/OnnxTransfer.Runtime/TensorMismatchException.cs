namespace OnnxTransfer.Runtime;

/// <summary>
/// A value handed to <see cref="InferenceSession.Run(ReadOnlySpan{string}, ReadOnlySpan{OrtValue}, ReadOnlySpan{string}, RunOptions?, CancellationToken)"/>
/// does not fit the model: unknown or missing name, wrong element type, rank or size. Raised before ONNX Runtime runs.
/// </summary>
public sealed class TensorMismatchException : ArgumentException
{
    public TensorMismatchException(string valueName, string expected, string actual, string message)
        : base(message)
    {
        ValueName = valueName;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The input or output name concerned.</summary>
    public string ValueName { get; }

    /// <summary>What the model declares, e.g. "float[batch_size,3,224,224]".</summary>
    public string Expected { get; }

    /// <summary>What was given, e.g. "int64[1,3,224,224]".</summary>
    public string Actual { get; }
}
