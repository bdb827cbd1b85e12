using OnnxTransfer.Features.Specs;
using OnnxTransfer.Onnx;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// Small classifier graphs written to temporary .onnx files (GraphBuilder), for what the shared model cannot show:
/// feature maps that need pooling, fixed batch sizes, channels-last inputs, other input sizes.
/// </summary>
internal static class SyntheticBackbones
{
    public const int Channels = 8;
    public const string FeatureMap = "feature_map";
    public const string Pooled = "/Flatten_output_0";

    /// <summary>
    /// input [batch,3,size,size] → 3×3 Conv (8 channels) → Relu → <c>feature_map</c> [N,8,size,size] → GlobalAveragePool →
    /// Flatten <c>/Flatten_output_0</c> [N,8] → Gemm (10 classes).
    /// </summary>
    public static string WriteResNetLike(TempDirectory folder, string name = "tiny.onnx", long? batch = null, int size = 32, bool channelsLast = false)
    {
        var b = new GraphBuilder("tiny_resnet", opsetVersion: 17);
        TensorDimension n = batch is { } fixedBatch ? TensorDimension.Fixed(fixedBatch) : TensorDimension.Symbolic("N");
        string x;
        if (channelsLast)
        {
            var nhwc = b.AddInput("image", OnnxDataType.Float, n, size, size, 3);
            x = b.AddNode("Transpose", [nhwc]).Ints("perm", 0, 3, 1, 2).Output;
        }
        else
        {
            x = b.AddInput("image", OnnxDataType.Float, n, 3, size, size);
        }
        var w = b.AddInitializer("stem.weight", Values(Channels * 3 * 3 * 3, 1), [Channels, 3, 3, 3]);
        var bias = b.AddInitializer("stem.bias", Values(Channels, 2), [Channels]);
        var conv = b.AddNode("Conv", [x, w, bias]).Ints("kernel_shape", 3, 3).Ints("pads", 1, 1, 1, 1).Output;
        var relu = b.AddNode("Relu", [conv], [FeatureMap]).Output;
        var pooled = b.AddNode("GlobalAveragePool", [relu]).Output;
        var flat = b.AddNode("Flatten", [pooled], [Pooled]).Int("axis", 1).Output;
        var fc = b.AddInitializer("fc.weight", Values(10 * Channels, 3), [10, Channels]);
        var fcBias = b.AddInitializer("fc.bias", Values(10, 4), [10]);
        b.AddNode("Gemm", [flat, fc, fcBias], ["logits"]).Int("transB", 1);
        b.AddOutput("logits");
        var path = folder.File(name);
        b.Build().Save(path);
        return path;
    }

    /// <summary>A spec for a synthetic model, saved beside it (model path relative), with the given features and image size.</summary>
    public static BackboneSpec Spec(string modelPath, string tensor = Pooled, FeaturePooling pooling = FeaturePooling.None, int size = 32,
        bool l2 = false, Imaging.TensorLayout layout = Imaging.TensorLayout.Nchw)
    {
        var built = BackboneSpecBuilder.FromModel(modelPath, Path.ChangeExtension(modelPath, ".backbone.json"), featureTensor: tensor).Spec;
        return built with
        {
            Layout = layout,
            Image = built.Image! with { Preprocess = built.Image.Preprocess with { Width = size, Height = size, ResizeShorterSide = size + size / 7 } },
            Features = new FeatureSpec(tensor, pooling, l2),
        };
    }

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * 0.5f;
        return values;
    }
}
