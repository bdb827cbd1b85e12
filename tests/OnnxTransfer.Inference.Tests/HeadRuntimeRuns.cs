using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Runtime;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Export;

namespace OnnxTransfer.Inference.Tests;

/// <summary>An exported head run by ONNX Runtime (one thread) on the hymenoptera val embeddings.</summary>
internal static class HeadRuntimeRuns
{
    public static (float[] Probabilities, long[] LabelIndex) OnVal(HeadExport export)
    {
        var h = Hymenoptera.Instance;
        using var session = new InferenceSession(export.Model.ToBytes(), new SessionOptions { IntraOpNumThreads = 1 });
        using var input = OrtTestRuns.Tensor(h.Val.Features, [h.Val.Ids.Length, h.Backbone.Dimension]);
        using var result = session.RunNamed("features", input);
        return (result["probabilities"].GetTensorData<float>().ToArray(), result["label_index"].GetTensorData<long>().ToArray());
    }
}
