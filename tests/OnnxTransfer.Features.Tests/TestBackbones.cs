using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Features.Tests;

/// <summary>The shared MobileNetV2 through the repository's own spec (onnx-models/), loaded once per test run.</summary>
internal static class TestBackbones
{
    private static readonly Lazy<ImageBackbone> Shared = new(() => ImageBackbone.Load(MobileNetV2Spec(), new BackboneRunOptions()));

    public static string MobileNetV2SpecPath => Path.Combine(RepositoryPaths.OnnxModels, "mobilenetv2-int8.backbone.json");

    /// <summary>The spec from onnx-models/, which finds the shared folder through ${ONNXTRANSFER_SHARED:-../../shared}.</summary>
    public static BackboneSpec MobileNetV2Spec()
    {
        _ = SharedData.Root; // fails with a clear message when the shared data is missing
        return BackboneSpecFile.Load(MobileNetV2SpecPath);
    }

    /// <summary>One loaded backbone shared by the tests (sessions are thread-safe; every run makes its own batches).</summary>
    public static ImageBackbone MobileNetV2 => Shared.Value;

    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
}
