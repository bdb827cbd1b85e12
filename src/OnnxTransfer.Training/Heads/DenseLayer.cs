namespace OnnxTransfer.Training.Heads;

/// <summary>
/// One fully connected layer, <c>y = act(x·Wᵀ + b)</c>. <see cref="Weights"/> is row-major <c>[OutputCount, InputCount]</c>
/// (PyTorch's Linear layout; ONNX <c>Gemm(x, W, b, transB=1)</c>).
/// </summary>
public sealed class DenseLayer
{
    public DenseLayer(int inputCount, int outputCount, float[] weights, float[] bias, Activation activation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputCount, 1);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        if (weights.Length != (long)inputCount * outputCount)
            throw new ArgumentException($"A {outputCount}×{inputCount} layer needs {(long)inputCount * outputCount} weights, got {weights.Length}.", nameof(weights));
        if (bias.Length != outputCount)
            throw new ArgumentException($"A layer with {outputCount} outputs needs {outputCount} biases, got {bias.Length}.", nameof(bias));
        InputCount = inputCount;
        OutputCount = outputCount;
        Weights = weights;
        Bias = bias;
        Activation = activation;
    }

    public int InputCount { get; }

    public int OutputCount { get; }

    /// <summary>Row-major <c>[OutputCount, InputCount]</c>.</summary>
    public float[] Weights { get; }

    public float[] Bias { get; }

    public Activation Activation { get; }

    public DenseLayer Clone() => new(InputCount, OutputCount, (float[])Weights.Clone(), (float[])Bias.Clone(), Activation);
}
