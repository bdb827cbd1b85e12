using Microsoft.ML.OnnxRuntime;

namespace OnnxTransfer.TestSupport;

/// <summary>
/// Runs a model the plain way tests check the product against: ONNX Runtime's own session, outputs allocated by it and
/// looked up by name. (The product runs into its own buffers through OnnxTransfer.Runtime; tests compare the two.)
/// </summary>
public static class OrtTestRuns
{
    /// <summary>Runs with one input and returns every output.</summary>
    public static NamedOutputs RunNamed(this InferenceSession session, string inputName, OrtValue input) =>
        session.RunNamed([inputName], [input]);

    /// <summary>Runs and returns the named outputs (all outputs when none are named).</summary>
    public static NamedOutputs RunNamed(this InferenceSession session, string[] inputNames, OrtValue[] inputs, string[]? outputNames = null)
    {
        var names = outputNames ?? session.OutputNames.ToArray();
        using var options = new RunOptions();
        return new NamedOutputs(names, session.Run(options, inputNames, inputs, names));
    }

    /// <summary>A tensor over a whole array (no copy).</summary>
    public static OrtValue Tensor<T>(T[] data, long[] shape) where T : unmanaged => OrtValue.CreateTensorValueFromMemory(data, shape);

    /// <summary>A tensor over part of an array (no copy).</summary>
    public static OrtValue Tensor<T>(Memory<T> data, long[] shape) where T : unmanaged =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data, shape);

    /// <summary>The elements of a tensor output.</summary>
    public static ReadOnlySpan<T> GetTensorData<T>(this OrtValue value) where T : unmanaged => value.GetTensorDataAsSpan<T>();

    /// <summary>The dimensions of a tensor output.</summary>
    public static long[] Shape(this OrtValue value) => value.GetTensorTypeAndShape().Shape;
}

/// <summary>A run's outputs by name; disposing releases them.</summary>
public sealed class NamedOutputs(string[] names, IDisposableReadOnlyCollection<OrtValue> values) : IDisposable
{
    public OrtValue this[string name] => values[Array.IndexOf(names, name) is var i and >= 0 ? i : throw new KeyNotFoundException($"no output '{name}'")];

    public OrtValue this[int index] => values[index];

    /// <summary>The outputs' names, in order.</summary>
    public IReadOnlyList<string> Names => names;

    public void Dispose() => values.Dispose();
}
