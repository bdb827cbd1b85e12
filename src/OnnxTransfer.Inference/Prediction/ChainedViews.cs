using System.Numerics.Tensors;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Composition;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// Test-time augmentation for the chained form: after the original pass, each further view of the batch's preprocessed
/// images (<see cref="Features.Views.InputView.Apply"/>, the definition the cache and the fused graph share) goes through
/// backbone and head again, and the probabilities are averaged — what a model composed with <c>--tta</c> computes in its
/// graph: the views' probabilities summed in view order, then divided by their number.
/// </summary>
internal sealed class ChainedViews
{
    private readonly TestTimeAugmentation _views;
    private readonly int _channels;
    private readonly int _height;
    private readonly int _width;

    private ChainedViews(TestTimeAugmentation views, int channels, int height, int width)
    {
        _views = views;
        _channels = channels;
        _height = height;
        _width = width;
    }

    /// <summary>The views for <paramref name="backbone"/>, or null when only the original is asked for.</summary>
    /// <exception cref="InferenceException">Views asked of a text backbone or of a non-NCHW image backbone.</exception>
    public static ChainedViews? For(Backbone backbone, TestTimeAugmentation? views)
    {
        if (views is not { IsActive: true }) return null;
        if (backbone.Reader is not ImageInputReader images)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' is a text backbone: test-time views ({views.Names}) transform images; drop --tta.");
        if (backbone.Spec.Layout != TensorLayout.Nchw)
            throw new InferenceException($"Backbone '{backbone.Spec.Name}' takes {SpecNames.Of(backbone.Spec.Layout)} input; test-time views are defined on NCHW tensors: drop --tta.");
        var shape = images.Preprocessor.ImageShape;
        return new ChainedViews(views, shape[0], shape[1], shape[2]);
    }

    public TestTimeAugmentation Views => _views;

    /// <summary>
    /// Per-batch buffers: the original images (the views are written over the batch's input), the probability sum, and
    /// the original view's OOD scores (kept while the further views overwrite the batch's).
    /// </summary>
    public Scratch CreateScratch(int capacity, int classes) =>
        new(new float[checked(capacity * _channels * _height * _width)], new float[checked(capacity * classes)], new float[capacity]);

    /// <summary>
    /// Runs the further views of the first <paramref name="count"/> images of <paramref name="input"/> (the original's
    /// probabilities already in <paramref name="probabilities"/>) and leaves the mean over every view there.
    /// <paramref name="runView"/> runs backbone and head on the batch's current input into <paramref name="probabilities"/>.
    /// </summary>
    public void Average(Span<float> input, int count, Span<float> probabilities, Scratch scratch, Action runView)
    {
        var imageLength = _channels * _height * _width;
        var originals = scratch.Originals.AsSpan(0, count * imageLength);
        var sum = scratch.ProbabilitySum.AsSpan(0, probabilities.Length);
        input[..originals.Length].CopyTo(originals);
        probabilities.CopyTo(sum);
        foreach (var view in _views.Views.Skip(1))
        {
            for (var i = 0; i < count; i++)
                view.Apply(originals.Slice(i * imageLength, imageLength), input.Slice(i * imageLength, imageLength), _channels, _height, _width);
            runView();
            TensorPrimitives.Add(sum, probabilities, sum);
        }
        TensorPrimitives.Divide(sum, _views.Views.Count, probabilities);
    }

    public sealed record Scratch(float[] Originals, float[] ProbabilitySum, float[] OriginalOodScores);
}
