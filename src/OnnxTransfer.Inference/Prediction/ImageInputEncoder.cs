using Microsoft.ML.OnnxRuntime;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// Image inputs: decoded and preprocessed (as the backbone spec says) straight into the batch's input tensor; a
/// fused model is fed that tensor, a chained backbone embeds it.
/// </summary>
internal sealed class ImageInputEncoder : InputEncoder
{
    private static readonly string[] OutputNames = [ModelLayout.ProbabilitiesOutput];
    private readonly ImageBackbone? _backbone;
    private readonly string[] _inputNames;
    private readonly long[] _imageShape;
    private readonly int? _fixedBatchSize;

    private ImageInputEncoder(ImageDecoder decoder, ImagePreprocessor preprocessor, ImageBackbone? backbone, string inputName, int? fixedBatchSize)
    {
        Decoder = decoder;
        Preprocessor = preprocessor;
        _backbone = backbone;
        _inputNames = [inputName];
        _fixedBatchSize = fixedBatchSize;
        _imageShape = Array.ConvertAll(preprocessor.ImageShape, d => (long)d);
    }

    /// <summary>The encoder of a fused image model: decoding and preprocessing from its embedded spec.</summary>
    public static ImageInputEncoder Of(FusedModelInfo info)
    {
        var image = info.Spec.RequireImage();
        return new ImageInputEncoder(new ImageDecoder(image.ToDecoderOptions()), new ImagePreprocessor(image.ToPreprocessSettings(info.Spec.Layout)),
            null, info.InputName, info.FixedBatchSize);
    }

    /// <summary>The encoder of a chained image backbone: its own decoder and preprocessor.</summary>
    public static ImageInputEncoder Of(ImageBackbone backbone) =>
        new(backbone.Decoder, backbone.Preprocessor, backbone, backbone.InputName, backbone.FixedBatchSize);

    public override bool IsText => false;

    public ImageDecoder Decoder { get; }

    public ImagePreprocessor Preprocessor { get; }

    public override (string Reason, string Message)? Prepare(InputItem item, EngineBatch batch, int position)
    {
        if (item.Failure is { } failure) return (failure.Code, failure.Message);
        if (item.Text is not null)
            return ("not-an-image", $"{item.Source}: this model classifies images, but the input is a text; use a text model.");
        try
        {
            using var image = Decoder.Decode(item.Source, Preprocessor);
            Preprocessor.Process(image, batch.ImageSlot(position));
            return null;
        }
        catch (Exception e) when (InputFailures.Describe(e, item.Source) is { } reason)
        {
            return reason;
        }
    }

    public override EngineBatch CreateFusedBatch(int capacity, int classes) => new FusedBatch(capacity, Preprocessor.TensorLength, _imageShape, classes);

    public override void RunFused(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (FusedBatch)batch;
        var rows = _fixedBatchSize ?? count;
        if (rows == own.Capacity)
        {
            session.Run(_inputNames, [own.FullInput], OutputNames, [own.FullOutput], cancellationToken);
            return;
        }
        var classes = own.Probabilities.Length / own.Capacity;
        using var input = TensorValues.Over(new Memory<float>(own.Input, 0, rows * own.ImageLength), FusedBatch.Shape(rows, _imageShape));
        using var output = TensorValues.Over(new Memory<float>(own.Probabilities, 0, rows * classes), [rows, classes]);
        session.Run(_inputNames, [input], OutputNames, [output], cancellationToken);
    }

    public override EngineBatch CreateChainedBatch(ChainedHead head, int capacity, int classes) => new ChainedBatch(Backbone, head, capacity, classes);

    public override void Embed(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (ChainedBatch)batch;
        Backbone.Embed(own.Backbone, count, own.Head.Embeddings, cancellationToken);
    }

    private ImageBackbone Backbone => _backbone ?? throw new InvalidOperationException("A fused model's encoder has no backbone.");

    /// <summary>A fused batch: the input tensor and ORT values over the whole batch (reused when it is full).</summary>
    private sealed class FusedBatch : EngineBatch
    {
        public FusedBatch(int capacity, int imageLength, long[] imageShape, int classes) : base(capacity, imageLength, classes)
        {
            Input = new float[checked(capacity * imageLength)];
            FullInput = TensorValues.Over<float>(Input, Shape(capacity, imageShape));
            FullOutput = TensorValues.Over<float>(Probabilities, [capacity, classes]);
        }

        public override float[] Input { get; }

        public OrtValue FullInput { get; }

        public OrtValue FullOutput { get; }

        public override void Dispose()
        {
            FullInput.Dispose();
            FullOutput.Dispose();
        }

        public static long[] Shape(int rows, long[] perImage)
        {
            var shape = new long[perImage.Length + 1];
            shape[0] = rows;
            perImage.CopyTo(shape, 1);
            return shape;
        }
    }

    /// <summary>A chained batch: the backbone's batch (its input tensor is the one decoders fill) and the head's buffers.</summary>
    private sealed class ChainedBatch : EngineBatch, IChainedBatch
    {
        public ChainedBatch(ImageBackbone backbone, ChainedHead head, int capacity, int classes) : base(capacity, backbone.ImageLength, classes)
        {
            Backbone = backbone.CreateBatch(capacity);
            Head = head.CreateBuffers(capacity, Probabilities);
        }

        public BackboneBatch Backbone { get; }

        public ChainedHead.Buffers Head { get; }

        public override float[] Input => Backbone.Input;

        public override void Dispose()
        {
            Head.Dispose();
            Backbone.Dispose();
        }
    }
}
