using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// A fused image model's inputs: decoded and preprocessed (as its embedded backbone spec says, by the backbone's own
/// <see cref="ImageInputReader"/>) straight into the batch's input tensor, which the session is fed.
/// </summary>
internal sealed class ImageInputEncoder : InputEncoder
{
    private readonly string[] _outputNames;
    private readonly ImageInputReader _images;
    private readonly string[] _inputNames;
    private readonly long[] _imageShape;
    private readonly int? _fixedBatchSize;
    private readonly bool _padShortBatches;

    private ImageInputEncoder(ImageInputReader images, string inputName, int? fixedBatchSize, bool ood, bool padShortBatches) : base(images)
    {
        _outputNames = ood ? [ModelLayout.ProbabilitiesOutput, ModelLayout.OodScoreOutput] : [ModelLayout.ProbabilitiesOutput];
        _padShortBatches = padShortBatches;
        _images = images;
        _inputNames = [inputName];
        _fixedBatchSize = fixedBatchSize;
        _imageShape = Array.ConvertAll(images.Preprocessor.ImageShape, d => (long)d);
    }

    /// <summary>The encoder of a fused image model: decoding and preprocessing from its embedded spec.</summary>
    /// <param name="padShortBatches">Run a short batch padded to the capacity (one shape for the GPU; padding rows never read).</param>
    public static ImageInputEncoder Of(FusedModelInfo info, bool padShortBatches)
    {
        var image = info.Spec.RequireImage();
        return new ImageInputEncoder(new ImageInputReader(new ImageDecoder(image.ToDecoderOptions()), new ImagePreprocessor(image.ToPreprocessSettings(info.Spec.Layout))),
            info.InputName, info.FixedBatchSize, info.Ood is not null, padShortBatches);
    }

    public override InputFailure? Prepare(InputItem item, EngineBatch batch, int position) => _images.Prepare(item, batch.ImageSlot(position));

    public override EngineBatch CreateBatch(int capacity, int classes) => new FusedBatch(capacity, _images.Preprocessor.TensorLength, _imageShape, classes);

    public override void Run(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (FusedBatch)batch;
        var rows = _fixedBatchSize ?? (_padShortBatches ? own.Capacity : count);
        if (rows == own.Capacity)
        {
            session.Run(_inputNames, [own.FullInput], _outputNames, _outputNames.Length == 1 ? [own.FullOutput] : [own.FullOutput, own.FullOod], cancellationToken);
            return;
        }
        var classes = own.Probabilities.Length / own.Capacity;
        using var input = TensorValues.Over(new Memory<float>(own.Input, 0, rows * own.ImageLength), ImageBatch.Shape(rows, _imageShape));
        using var output = TensorValues.Over(new Memory<float>(own.Probabilities, 0, rows * classes), [rows, classes]);
        using var ood = TensorValues.Over(new Memory<float>(own.OodScores, 0, rows), [rows]);
        session.Run(_inputNames, [input], _outputNames, _outputNames.Length == 1 ? [output] : [output, ood], cancellationToken);
    }

    /// <summary>A fused batch: the input tensor and ORT values over the whole batch (reused when it is full).</summary>
    private sealed class FusedBatch : EngineBatch
    {
        public FusedBatch(int capacity, int imageLength, long[] imageShape, int classes) : base(capacity, classes)
        {
            ImageLength = imageLength;
            Input = new float[checked(capacity * imageLength)];
            FullInput = TensorValues.Over<float>(Input, ImageBatch.Shape(capacity, imageShape));
            FullOutput = TensorValues.Over<float>(Probabilities, [capacity, classes]);
            FullOod = TensorValues.Over<float>(OodScores, [capacity]);
        }

        public override int ImageLength { get; }

        public override float[] Input { get; }

        public OrtValue FullInput { get; }

        public OrtValue FullOutput { get; }

        public OrtValue FullOod { get; }

        public override void Dispose()
        {
            FullOod.Dispose();
            FullInput.Dispose();
            FullOutput.Dispose();
        }
    }
}
