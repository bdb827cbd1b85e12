using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Imaging;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Features.Specs;

/// <summary>A spec written by <see cref="BackboneSpecBuilder"/>, with what the locator found (null when the tensor was given).</summary>
public sealed record BuiltSpec(BackboneSpec Spec, FeatureTensor? Located)
{
    /// <summary>Why the locator chose the feature tensor; null when the tensor was given.</summary>
    public string? LocatedExplanation => Located?.Explain();
}

/// <summary>
/// Writes a spec for an image classifier model (<c>onnxtransfer backbone init</c>): the model pinned by sha256, input
/// name, layout and size from its declared input, the feature tensor from <see cref="FeatureTensorLocator"/>, pooling
/// from that tensor's rank, and torchvision's ImageNet preprocessing with the resize scaled to the input size
/// (256/224 of it). Check mean/std when the model was not trained with ImageNet normalisation.
/// </summary>
public static class BackboneSpecBuilder
{
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="specPath">Where the spec will be saved: the model path is written relative to its folder.</param>
    /// <param name="name">The backbone's name (default: from the file name).</param>
    /// <param name="featureTensor">The feature tensor, or null to locate it.</param>
    /// <param name="inputName">The image input, or null when the model has one input.</param>
    public static BuiltSpec FromModel(string modelPath, string specPath, string? name = null, string? featureTensor = null, string? inputName = null)
    {
        var fullModel = Path.GetFullPath(modelPath);
        if (!File.Exists(fullModel)) throw new BackboneSpecException($"Model file '{fullModel}' does not exist: check the path.");
        OnnxModel model;
        try { model = OnnxModel.Load(fullModel); }
        catch (OnnxModelException e) { throw new BackboneSpecException(e.Message, e); }

        var inputs = model.Inputs;
        TensorInfo input;
        if (inputName is not null)
            input = inputs.FirstOrDefault(i => i.Name == inputName)
                    ?? throw new BackboneSpecException($"The model has no input '{inputName}'; its inputs are {string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}.");
        else if (inputs.Count == 1)
            input = inputs[0];
        else
            throw new BackboneSpecException($"The model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); name the image input (--input).");
        if (input.Shape is { Rank: not 4 } shape)
            throw new BackboneSpecException($"Input '{input.Name}' has shape {shape}; an image backbone takes [N,3,H,W] or [N,H,W,3].");

        var layout = input.Shape is { } s && s[1].Value != 3 && s[3].Value == 3 ? TensorLayout.Nhwc : TensorLayout.Nchw;
        var (heightAxis, widthAxis) = layout == TensorLayout.Nchw ? (2, 3) : (1, 2);
        var height = (int)(input.Shape?[heightAxis].Value ?? 224);
        var width = (int)(input.Shape?[widthAxis].Value ?? 224);

        FeatureTensor? located = null;
        string tensor;
        if (featureTensor is null)
        {
            try { located = new FeatureTensorLocator().Locate(model); }
            catch (FeatureTensorNotFoundException e) { throw new BackboneSpecException($"{e.Message} Pass the tensor (--feature-tensor NAME).", e); }
            tensor = located.Name;
        }
        else
        {
            if (model.FindTensor(featureTensor) is null)
                throw new BackboneSpecException($"The model has no tensor '{featureTensor}' (or its type cannot be inferred); `onnxtransfer inspect MODEL` lists them.");
            tensor = featureTensor;
        }
        var pooling = FeatureTensorLocator.LayoutOf(model, tensor) == FeatureLayout.Spatial ? FeaturePooling.GlobalAverage : FeaturePooling.None;

        var specFolder = Path.GetDirectoryName(Path.GetFullPath(specPath))!;
        var spec = new BackboneSpec
        {
            Name = name ?? DefaultName(fullModel),
            Kind = BackboneKind.Image,
            ModelPath = Path.GetRelativePath(specFolder, fullModel).Replace('\\', '/'),
            ModelSha256 = FileHash.Sha256(fullModel),
            InputName = input.Name,
            Layout = layout,
            Image = new ImageInputSpec
            {
                Preprocess = new PreprocessSettings
                {
                    Width = width,
                    Height = height,
                    ResizeShorterSide = (int)Math.Round(256.0 * Math.Min(width, height) / 224.0, MidpointRounding.AwayFromZero),
                },
            },
            Features = new FeatureSpec(tensor, pooling, L2Normalize: false),
            BaseDirectory = specFolder,
        };
        return new BuiltSpec(spec, located);
    }

    /// <summary>"resnet50" for resnet50.onnx; the folder's name for a generic model.onnx.</summary>
    private static string DefaultName(string modelPath)
    {
        var stem = Path.GetFileNameWithoutExtension(modelPath);
        if (stem is "model" or "backbone")
            stem = Path.GetFileName(Path.GetDirectoryName(modelPath)) is { Length: > 0 } folder ? folder : stem;
        return stem;
    }
}
