using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Onnx.Tests;

/// <summary>The shared MobileNetV2 read once per test run (tests that edit it work on a clone).</summary>
internal static class MobileNetV2
{
    private static readonly Lazy<byte[]> FileBytes = new(() => File.ReadAllBytes(SharedData.MobileNetV2Int8Model));
    private static readonly Lazy<OnnxModel> Model = new(() => OnnxModel.Load(SharedData.MobileNetV2Int8Model));

    public static byte[] Bytes => FileBytes.Value;

    /// <summary>A fresh editable copy.</summary>
    public static OnnxModel Load() => Model.Value.Clone();

    public static string ReferenceInput(string name = "chelsea") => SharedData.ReferenceTensor(name, "input");
}
