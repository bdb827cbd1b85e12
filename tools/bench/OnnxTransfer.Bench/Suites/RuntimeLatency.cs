using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Bench.Suites;

/// <summary>
/// Time per Run of a model on one batch, through our binding, the hot-path way (inputs and outputs preallocated).
/// The peer (peers/ort_node.mjs) runs the same model, input and thread count through onnxruntime-node.
/// </summary>
public static class RuntimeLatency
{
    public static void Run(Arguments options)
    {
        var modelPath = options.Required("model");
        var batch = options.Int("batch", 1);
        var iterations = options.Int("iterations", 200);
        var warmup = options.Int("warmup", 20);
        var threads = options.Int("threads", 0);
        var label = options.Optional("label") ?? Path.GetFileNameWithoutExtension(modelPath);

        // Our library path: the session through OnnxTransfer.Runtime's seam, running into reused buffers. Spinning as
        // onnxruntime-node leaves it (ONNX Runtime's default: on); with one thread it made no difference, with two it is
        // most of a batch-1 run's latency.
        using var session = ModelSession.Open(modelPath, new SessionSettings { IntraOpThreads = threads, AllowSpinning = true });
        var inputName = session.InputNames[0];
        var outputName = session.OutputNames[0];
        long[] inputShape = ConcreteShape(Array.ConvertAll(session.Session.InputMetadata[inputName].Dimensions, d => (long)d), batch);
        long[] outputShape = ConcreteShape(Array.ConvertAll(session.Session.OutputMetadata[outputName].Dimensions, d => (long)d), batch);

        var data = new float[inputShape.Aggregate(1L, (a, b) => a * b)];
        var random = new Random(42);
        for (var i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        var result = new float[outputShape.Aggregate(1L, (a, b) => a * b)];

        using var inputValue = TensorValues.Over<float>(data, inputShape);
        using var outputValue = TensorValues.Over<float>(result, outputShape);
        string[] inputNames = [inputName];
        string[] outputNames = [outputName];
        OrtValue[] inputs = [inputValue];
        OrtValue[] outputs = [outputValue];

        var measurement = Measurement.Run(warmup, iterations, () => session.Run(inputNames, inputs, outputNames, outputs));
        var @case = $"{label} batch {batch}";
        ResultWriter.Write("runtime", @case, "onnxtransfer", "ms per batch (median)", measurement.Median, lowerIsBetter: true);
        ResultWriter.Write("runtime", @case, "onnxtransfer", "ms per batch (p99)", measurement.P99, lowerIsBetter: true);
    }

    /// <summary>The model's declared shape with the batch (first, open) dimension set.</summary>
    private static long[] ConcreteShape(ReadOnlySpan<long> declared, int batch)
    {
        var shape = declared.ToArray();
        for (var i = 0; i < shape.Length; i++)
            if (shape[i] < 0) shape[i] = i == 0 ? batch : throw new ArgumentException("only the batch dimension may be open");
        return shape;
    }
}
