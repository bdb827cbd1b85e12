using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Inference.Heads;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Inference.Composition;

public sealed partial class FusedModelComposer
{
    /// <summary>A fused model on disk: its full path and size, its input names, and its outputs as one line each shows them.</summary>
    public sealed record WrittenModel(string Path, long Bytes, IReadOnlyList<string> InputNames, IReadOnlyList<string> Outputs);

    /// <summary>Composes an image backbone and a head and writes the fused model to <paramref name="path"/>.</summary>
    public WrittenModel ComposeTo(string path, ImageBackbone backbone, HeadModel head) => Save(Compose(backbone, head), path);

    /// <summary>Composes a text encoder and a head and writes the fused model to <paramref name="path"/>.</summary>
    public WrittenModel ComposeTo(string path, TextBackbone backbone, HeadModel head) => Save(Compose(backbone, head), path);

    private static WrittenModel Save(OnnxModel model, string path)
    {
        path = System.IO.Path.GetFullPath(path);
        // A backbone with external weights: one new data file beside the fused model holding only the weights it still uses.
        model.Save(path, model.HasExternalData ? new SaveOptions { ExternalData = ExternalDataMode.Consolidate } : null);
        return new WrittenModel(path, new FileInfo(path).Length, [.. model.Inputs.Select(i => i.Name)], [.. model.Outputs.Select(o => o.ToString())]);
    }
}
