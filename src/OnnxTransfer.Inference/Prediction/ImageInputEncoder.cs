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
    private readonly bool _bindBatches;
    private readonly ModelSession _session;

    private ImageInputEncoder(ImageInputReader images, string inputName, int? fixedBatchSize, bool ood, ModelSession session, BackboneRunOptions run) : base(images)
    {
        _session = session;
        _padShortBatches = run.PadsShortBatches;
        _bindBatches = run.BindsBatches;
        _outputNames = ood ? [ModelLayout.ProbabilitiesOutput, ModelLayout.OodScoreOutput] : [ModelLayout.ProbabilitiesOutput];
        _images = images;
        _inputNames = [inputName];
        _fixedBatchSize = fixedBatchSize;
        _imageShape = Array.ConvertAll(images.Preprocessor.ImageShape, d => (long)d);
    }

    /// <summary>The encoder of a fused image model: decoding and preprocessing from its embedded spec.</summary>
    /// <param name="session">The fused model's session, which bound batches are bound to.</param>
    /// <param name="run">Its batch settings: short batches padded to the capacity (one shape for the GPU; padding rows
    /// never read), batches bound to the session (IOBinding; pinned host memory on CUDA).</param>
    public static ImageInputEncoder Of(FusedModelInfo info, ModelSession session, BackboneRunOptions run)
    {
        var image = info.Spec.RequireImage();
        return new ImageInputEncoder(new ImageInputReader(new ImageDecoder(image.ToDecoderOptions()), new ImagePreprocessor(image.ToPreprocessSettings(info.Spec.Layout))),
            info.InputName, info.FixedBatchSize, info.Ood is not null, session, run);
    }

    public override InputFailure? Prepare(InputItem item, EngineBatch batch, int position) => _images.Prepare(item, batch.ImageSlot(position));

    public override EngineBatch CreateBatch(int capacity, int classes) =>
        new FusedBatch(capacity, _images.Preprocessor.TensorLength, _imageShape, classes, _bindBatches ? _session : null, _inputNames, _outputNames);

    public override void Run(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (FusedBatch)batch;
        var rows = _fixedBatchSize ?? (_padShortBatches ? own.Capacity : count);
        if (rows == own.Capacity && own.Bound is { } bound)
        {
            bound.Run(cancellationToken);
            return;
        }
        var classes = own.Probabilities.Length / own.Capacity;
        var full = rows == own.Capacity;
        var input = full ? own.Tensor.Full : own.Tensor.Rows(rows);
        var output = full ? own.FullOutput : TensorValues.Over(new Memory<float>(own.Probabilities, 0, rows * classes), [rows, classes]);
        var ood = full ? own.FullOod : TensorValues.Over(new Memory<float>(own.OodScores, 0, rows), [rows]);
        try
        {
            session.Run(_inputNames, [input], _outputNames, _outputNames.Length == 1 ? [output] : [output, ood], cancellationToken);
        }
        finally
        {
            if (!full) { input.Dispose(); output.Dispose(); ood.Dispose(); }
        }
    }

    /// <summary>
    /// A fused batch: the input tensor (pinned host memory on CUDA when bound), ORT values over the whole batch (reused when
    /// it is full) and, when bound, the full batch's tensors bound to the session once (IOBinding).
    /// </summary>
    private sealed class FusedBatch : EngineBatch
    {
        public FusedBatch(int capacity, int imageLength, long[] imageShape, int classes, ModelSession? bindTo, string[] inputNames, string[] outputNames)
            : base(capacity, classes)
        {
            ImageLength = imageLength;
            Tensor = HostTensor.For(bindTo, ImageBatch.Shape(capacity, imageShape));
            FullOutput = TensorValues.Over<float>(Probabilities, [capacity, classes]);
            FullOod = TensorValues.Over<float>(OodScores, [capacity]);
            try
            {
                if (bindTo is not null) Bound = bindTo.Bind(inputNames, [Tensor.Full], outputNames, outputNames.Length == 1 ? [FullOutput] : [FullOutput, FullOod]);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public override int ImageLength { get; }

        /// <summary>The input tensor, [capacity, …image shape].</summary>
        public HostTensor Tensor { get; }

        public override Span<float> Input => Tensor.Span;

        public OrtValue FullOutput { get; }

        public OrtValue FullOod { get; }

        public BoundRun? Bound { get; }

        public override void Dispose()
        {
            Bound?.Dispose();
            FullOod.Dispose();
            Tensor.Dispose();
            FullOutput.Dispose();
        }
    }
}
