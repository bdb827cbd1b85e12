namespace OnnxTransfer.Onnx.Tests;

/// <summary>
/// Small ResNet-like classifier graphs in the shapes real exporters produce, built with <see cref="GraphBuilder"/>:
/// conv stem → ReLU → global pooling → (flatten) → classifier. Weights are deterministic pseudo-random numbers.
/// </summary>
internal static class SyntheticModels
{
    public const int Channels = 8;
    public const int Classes = 10;

    public static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * 0.5f;
        return values;
    }

    /// <summary>Input [N,3,16,16] → 3x3 Conv to 8 channels → ReLU → GlobalAveragePool; returns the pooled [N,8,1,1] tensor.</summary>
    public static string Stem(GraphBuilder b)
    {
        var x = b.AddInput("image", OnnxDataType.Float, "N", 3, 16, 16);
        var w = b.AddInitializer("stem.weight", Values(Channels * 3 * 3 * 3, 1), [Channels, 3, 3, 3]);
        var bias = b.AddInitializer("stem.bias", Values(Channels, 2), [Channels]);
        var conv = b.AddNode("Conv", [x, w, bias]).Ints("kernel_shape", 3, 3).Ints("pads", 1, 1, 1, 1).Output;
        var relu = b.AddNode("Relu", [conv]).Output;
        return b.AddNode("GlobalAveragePool", [relu], ["pooled"]).Output;
    }

    /// <summary>torchvision export: GlobalAveragePool → Flatten → Gemm(transB=1, W [classes, features]).</summary>
    public static OnnxModel Torchvision()
    {
        var b = new GraphBuilder("torchvision_resnet", opsetVersion: 17);
        var pooled = Stem(b);
        var flat = b.AddNode("Flatten", [pooled], ["/Flatten_output_0"]).Int("axis", 1).Output;
        var w = b.AddInitializer("fc.weight", Values(Classes * Channels, 3), [Classes, Channels]);
        var bias = b.AddInitializer("fc.bias", Values(Classes, 4), [Classes]);
        b.AddNode("Gemm", [flat, w, bias], ["logits"], name: "/fc/Gemm").Float("alpha", 1).Float("beta", 1).Int("transB", 1);
        b.AddOutput("logits");
        return b.Build();
    }

    /// <summary>ONNX model zoo ResNet-50 v1: GlobalAveragePool → Reshape(Constant [0,-1]) → Gemm(transB=1) → Softmax.</summary>
    public static OnnxModel ModelZooV1()
    {
        var b = new GraphBuilder("resnet50v1", opsetVersion: 8);
        var pooled = Stem(b);
        var shape = b.AddNode("Constant", [], ["reshape_shape"]).Tensor("value", [0L, -1L], [2]).Output;
        var flat = b.AddNode("Reshape", [pooled, shape], ["flatten0"]).Output;
        var w = b.AddInitializer("fc.weight", Values(Classes * Channels, 5), [Classes, Channels]);
        var bias = b.AddInitializer("fc.bias", Values(Classes, 6), [Classes]);
        var logits = b.AddNode("Gemm", [flat, w, bias], ["fc_out"]).Float("alpha", 1).Float("beta", 1).Int("transB", 1).Output;
        b.AddNode("Softmax", [logits], ["prob"]);
        b.AddOutput("prob");
        return b.Build();
    }

    /// <summary>ONNX model zoo ResNet-50 v2: GlobalAveragePool → Flatten → Gemm with B [features, classes] (transB=0).</summary>
    public static OnnxModel ModelZooV2()
    {
        var b = new GraphBuilder("resnet50v2", opsetVersion: 7);
        var pooled = Stem(b);
        var flat = b.AddNode("Flatten", [pooled], ["flatten_out"]).Output;
        var w = b.AddInitializer("dense.weight", Values(Channels * Classes, 7), [Channels, Classes]);
        var bias = b.AddInitializer("dense.bias", Values(Classes, 8), [Classes]);
        b.AddNode("Gemm", [flat, w, bias], ["dense_out"]);
        b.AddOutput("dense_out");
        return b.Build();
    }

    /// <summary>A MatMul+Add classifier (TensorFlow/Keras style): Reshape → MatMul(W [features, classes]) → Add(bias) → Softmax.</summary>
    public static OnnxModel MatMulAdd()
    {
        var b = new GraphBuilder("keras_like", opsetVersion: 13);
        var pooled = Stem(b);
        var target = b.AddInitializer("flat_shape", [-1L, Channels], [2]);
        var flat = b.AddNode("Reshape", [pooled, target], ["features"]).Output;
        var w = b.AddInitializer("dense/kernel", Values(Channels * Classes, 9), [Channels, Classes]);
        var bias = b.AddInitializer("dense/bias", Values(Classes, 10), [Classes]);
        var product = b.AddNode("MatMul", [flat, w]).Output;
        var logits = b.AddNode("Add", [product, bias]).Output;
        b.AddNode("Softmax", [logits], ["probabilities"]).Int("axis", -1);
        b.AddOutput("probabilities");
        return b.Build();
    }

    /// <summary>A 1x1 convolution classifier (SqueezeNet/MobileNetV1 style): pooled map → Conv 1x1 → Flatten → Softmax.</summary>
    public static OnnxModel Conv1x1()
    {
        var b = new GraphBuilder("conv_classifier", opsetVersion: 13);
        var pooled = Stem(b);
        var w = b.AddInitializer("classifier.weight", Values(Classes * Channels, 11), [Classes, Channels, 1, 1]);
        var bias = b.AddInitializer("classifier.bias", Values(Classes, 12), [Classes]);
        var logits = b.AddNode("Conv", [pooled, w, bias], name: "classifier").Output;
        var flat = b.AddNode("Flatten", [logits]).Output;
        b.AddNode("Softmax", [flat], ["scores"]).Int("axis", 1);
        b.AddOutput("scores");
        return b.Build();
    }

    /// <summary>
    /// A QDQ-quantised torchvision-style head: Flatten → QuantizeLinear → DequantizeLinear → Gemm with an int8 weight
    /// behind DequantizeLinear → QuantizeLinear → DequantizeLinear output, like the shared MobileNetV2.
    /// </summary>
    public static OnnxModel Quantized()
    {
        var b = new GraphBuilder("qdq", opsetVersion: 15);
        var pooled = Stem(b);
        var flat = b.AddNode("Flatten", [pooled], ["flat"]).Output;
        var scale = b.AddInitializer("act_scale", [0.02f], []);
        var zero = b.AddInitializer<byte>("act_zero", OnnxDataType.UInt8, [128], []);
        var q = b.AddNode("QuantizeLinear", [flat, scale, zero]).Output;
        var dq = b.AddNode("DequantizeLinear", [q, scale, zero]).Output;
        var wq = b.AddInitializer<sbyte>("fc.weight_quantized", OnnxDataType.Int8,
            Values(Classes * Channels, 13).Select(v => (sbyte)(v * 200)).ToArray(), [Classes, Channels]);
        var wScale = b.AddInitializer("fc.weight_scale", [0.004f], []);
        var wZero = b.AddInitializer<sbyte>("fc.weight_zero", OnnxDataType.Int8, [0], []);
        var w = b.AddNode("DequantizeLinear", [wq, wScale, wZero]).Output;
        var gemm = b.AddNode("Gemm", [dq, w], name: "fc").Int("transB", 1).Output;
        var outQ = b.AddNode("QuantizeLinear", [gemm, scale, zero]).Output;
        b.AddNode("DequantizeLinear", [outQ, scale, zero], ["logits"]);
        b.AddOutput("logits");
        return b.Build();
    }

    /// <summary>No classifier at all: the output is the pooled feature map of a 3x3 conv.</summary>
    public static OnnxModel NoClassifier()
    {
        var b = new GraphBuilder("feature_map_only", opsetVersion: 17);
        var pooled = Stem(b);
        b.AddNode("Identity", [pooled], ["embedding"]);
        b.AddOutput("embedding");
        return b.Build();
    }
}
