using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Onnx;

namespace OnnxTransfer.Features.Backbones;

/// <summary>Checks that the spec's image input (name, layout, size, element type) fits what the model declares.</summary>
internal static class ModelInputCheck
{
    /// <summary>The image input's name; <paramref name="fixedBatch"/> is set when the model fixes the batch size.</summary>
    public static string Check(OnnxModel model, BackboneSpec spec, ImageInputSpec image, out int? fixedBatch)
    {
        var inputs = model.Inputs;
        var names = string.Join(", ", inputs.Select(i => $"'{i}'"));
        TensorInfo input;
        if (spec.InputName is null)
        {
            if (inputs.Count != 1)
                throw new BackboneSpecException($"Backbone '{spec.Name}': the model has {inputs.Count} inputs ({names}); name the image input in input.name.");
            input = inputs[0];
        }
        else
        {
            input = inputs.FirstOrDefault(i => i.Name == spec.InputName)
                    ?? throw new BackboneSpecException($"Backbone '{spec.Name}': the model has no input '{spec.InputName}'; its inputs are {names}. Fix input.name.");
            if (inputs.Count > 1)
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': besides '{input.Name}' the model needs other inputs ({names}); an image backbone feeds only the image.");
        }
        if (input.ElementType != OnnxDataType.Float)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': input '{input.Name}' takes {input.ElementType.DisplayName()}; OnnxTransfer feeds float32 images. Export the model with a float32 input.");

        fixedBatch = null;
        if (input.Shape is not { } shape) return input.Name; // rank unknown: the session checks at run time
        if (shape.Rank != 4)
            throw new BackboneSpecException($"Backbone '{spec.Name}': input '{input.Name}' has shape {shape}; an image input is 4-D ([N,3,H,W] or [N,H,W,3]).");

        var (channelAxis, heightAxis, widthAxis) = spec.Layout == TensorLayout.Nchw ? (1, 2, 3) : (3, 1, 2);
        if (shape[channelAxis].Value is { } channels && channels != 3)
        {
            var other = spec.Layout == TensorLayout.Nchw ? TensorLayout.Nhwc : TensorLayout.Nchw;
            var hint = (spec.Layout == TensorLayout.Nchw ? shape[3].Value : shape[1].Value) == 3
                ? $" It looks like {SpecNames.Of(other)}: set input.layout to \"{SpecNames.Of(other)}\"."
                : " OnnxTransfer feeds 3-channel colour images.";
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': input '{input.Name}' is {shape}, which has {channels} channels in the {SpecNames.Of(spec.Layout)} channel position.{hint}");
        }
        if (shape[heightAxis].Value is { } height && height != image.Preprocess.Height || shape[widthAxis].Value is { } width && width != image.Preprocess.Width)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': input '{input.Name}' is {shape} ({SpecNames.Of(spec.Layout)}) but the spec makes {image.Preprocess.Width}×{image.Preprocess.Height} images; " +
                $"set image.width and image.height to the model's size ({shape[widthAxis]}×{shape[heightAxis]}).");
        if (shape[0].Value is { } batch)
        {
            if (batch < 1) throw new BackboneSpecException($"Backbone '{spec.Name}': input '{input.Name}' declares a batch of {batch}.");
            fixedBatch = checked((int)batch);
        }
        return input.Name;
    }
}
