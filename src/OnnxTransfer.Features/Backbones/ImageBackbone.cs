using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;
using OnnxTransfer.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Runtime;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// An image backbone ready to embed: the spec checked against the model (sha256, input, feature tensor, pooling), the
/// model cut at the feature tensor (so no classifier work is done) and loaded into ONNX Runtime, the decoder and
/// preprocessor configured, and the fingerprint computed. Inputs are decoded and preprocessed straight into their
/// slice of an <see cref="ImageBatch"/>'s tensor; a batch is one model run over consecutive inputs.
/// </summary>
public sealed class ImageBackbone : Backbone
{
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[] _imageShape;
    private readonly long[] _featureShape;
    private readonly int _spatial;

    private ImageBackbone(BackboneSpec spec, ImageInputSpec image, string modelPath, string modelSha256, string featureTensor,
        string? featureExplanation, ModelSession session, string inputName, int? fixedBatchSize, long[] featureShape, IReadOnlyList<string> notes)
        : base(spec, modelPath, modelSha256, featureTensor, session, checked((int)featureShape[0]), notes)
    {
        FeatureExplanation = featureExplanation;
        InputName = inputName;
        FixedBatchSize = fixedBatchSize;
        Reader = new ImageInputReader(new ImageDecoder(image.ToDecoderOptions()), new ImagePreprocessor(image.ToPreprocessSettings(spec.Layout)));
        _imageShape = Array.ConvertAll(Preprocessor.ImageShape, d => (long)d);
        _featureShape = featureShape;
        _inputNames = [inputName];
        _outputNames = [featureTensor];
        _spatial = featureShape.Length == 3 ? checked((int)(featureShape[1] * featureShape[2])) : 1;
        Fingerprint = BackboneFingerprint.ForImage(modelSha256, featureTensor, spec.Features, image, spec.Layout, Dimension);
    }

    public override string? FeatureExplanation { get; }

    public string InputName { get; }

    public override int? FixedBatchSize { get; }

    /// <summary>
    /// A short batch runs padded to the batch's capacity (the padding rows hold whatever the slots last held and are
    /// never read), so the model sees one shape per run: see <see cref="BackboneRunOptions.PadsShortBatches"/>.
    /// </summary>
    public bool PadsShortBatches { get; init; }

    /// <summary>
    /// Each batch's tensors are bound to the session once (IOBinding; pinned host memory on CUDA) and a full batch runs
    /// through the binding: see <see cref="BackboneRunOptions.BindsBatches"/>.
    /// </summary>
    public bool BindsBatches { get; init; }

    public override BackboneFingerprint Fingerprint { get; }

    /// <summary>Decoding and preprocessing as the spec says.</summary>
    public override ImageInputReader Reader { get; }

    public ImagePreprocessor Preprocessor => Reader.Preprocessor;

    public ImageDecoder Decoder => Reader.Decoder;

    /// <summary>Floats per image in the input tensor.</summary>
    public int ImageLength => Preprocessor.TensorLength;

    /// <summary>
    /// Checks the spec against its model and loads the model cut at the feature tensor. Everything wrong is refused
    /// here, before any image is read, with a <see cref="BackboneSpecException"/> that names the fix.
    /// </summary>
    public static ImageBackbone Load(BackboneSpec spec, BackboneRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new BackboneRunOptions();
        options.Validate();
        var image = spec.RequireImage();
        var notes = new List<string>();
        var (modelPath, sha) = BackboneModelFile.Verify(spec, notes);
        var model = BackboneModelFile.Parse(spec, modelPath);
        BackboneModelFile.CheckPrecision(spec, model, options);

        var input = ModelInputCheck.Check(model, spec, image, out var fixedBatch);
        if (fixedBatch is { } b) notes.Add($"The model's batch dimension is fixed to {b}: batches of {b} are run.");

        var (featureTensor, explanation, layout) = ResolveFeatureTensor(model, spec);
        try { model.CutAt(featureTensor); }
        catch (OnnxModelException e) { throw new BackboneSpecException($"Backbone '{spec.Name}': cannot cut the model at the feature tensor: {e.Message}", e); }

        BackboneModelFile.ApplyPrecision(spec, model, options, notes);
        var session = BackboneModelFile.CreateSession(model, modelPath, options);
        try
        {
            var featureShape = FeatureShape(session, featureTensor, input, spec, layout, fixedBatch, image);
            return new ImageBackbone(spec, image, modelPath, sha, featureTensor, explanation, session, input, fixedBatch, featureShape, notes)
            {
                PadsShortBatches = options.PadsShortBatches,
                BindsBatches = options.BindsBatches,
                Numerics = EmbeddingNumerics.Derive(options, session.ActiveProviders, QuantizedGraph.Detect(model), OnnxRuntimeVersion.Current),
            };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Allocates the reused buffers of one batch.</summary>
    public override ImageBatch CreateBatch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (FixedBatchSize is { } fixedSize && capacity != fixedSize)
            throw new ArgumentException($"The model runs batches of exactly {fixedSize}.", nameof(capacity));
        var featureLength = 1;
        foreach (var d in _featureShape) featureLength = checked(featureLength * (int)d);
        return BindsBatches
            ? new ImageBatch(capacity, ImageLength, _imageShape, featureLength, _featureShape, Session, InputName, FeatureTensor)
            : new ImageBatch(capacity, ImageLength, _imageShape, featureLength, _featureShape);
    }

    /// <summary>Decodes and preprocesses one image file into its slice of a batch (thread-safe).</summary>
    /// <exception cref="ImageDecodeException">The file is not a usable image; the reason code says why.</exception>
    public void Prepare(string path, Span<float> destination)
    {
        using var decoded = Decoder.Decode(path, Preprocessor);
        Preprocessor.Process(decoded, destination);
    }

    private protected override InputFailure? PrepareInput(InputItem item, BackboneBatch batch, int position) =>
        Reader.Prepare(item, ((ImageBatch)batch).ImageSlot(position));

    /// <summary>
    /// Runs the cut model on the first <paramref name="count"/> images of <paramref name="batch"/> (every slice, as the
    /// tensor holds it: a failed position's output is simply not read) and writes <paramref name="count"/> ×
    /// <see cref="Dimension"/> floats to <paramref name="embeddings"/>. Allocates nothing for full batches.
    /// </summary>
    public override void Embed(BackboneBatch batch, int count, Span<float> embeddings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var images = (ImageBatch)batch;
        if (count < 1 || count > batch.Capacity) throw new ArgumentOutOfRangeException(nameof(count), count, $"1 to {batch.Capacity} images.");
        if (embeddings.Length < count * Dimension) throw new ArgumentException($"embeddings must hold {count} × {Dimension} floats.", nameof(embeddings));
        RunModel(images, FixedBatchSize ?? (PadsShortBatches ? batch.Capacity : count), cancellationToken);
        ReadOnlySpan<float> raw = images.RawFeatures[..(count * images.FeatureLength)];
        var target = embeddings[..(count * Dimension)];
        if (_featureShape.Length == 3) EmbeddingPostprocessing.GlobalAverage(raw, count, Dimension, _spatial, target);
        else raw.CopyTo(target);
        if (Spec.Features.L2Normalize) EmbeddingPostprocessing.L2Normalize(target, count, Dimension);
        for (var p = 0; p < count; p++)
            if (batch[p] is PositionState.Ready or PositionState.Embedded) batch[p] = PositionState.Embedded;
    }

    /// <summary>The model over the first <paramref name="rows"/> images of <paramref name="images"/>: the bound run for a full batch that has one.</summary>
    private void RunModel(ImageBatch images, int rows, CancellationToken cancellationToken)
    {
        if (rows == images.Capacity && images.Bound is { } bound)
        {
            bound.Run(cancellationToken);
            return;
        }
        var (input, output, owned) = images.Values(rows);
        try
        {
            Session.Run(_inputNames, [input], _outputNames, [output], cancellationToken);
        }
        finally
        {
            if (owned) { input.Dispose(); output.Dispose(); }
        }
    }

    /// <summary>The full batch's shape, the one every batch has with fixed batches (the default on CUDA), run once on zeros.</summary>
    internal override bool WarmUp(BackboneBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var images = (ImageBatch)batch;
        images.Input.Clear();
        RunModel(images, images.Capacity, cancellationToken);
        return true;
    }

    /// <summary>Batches of consecutive pending inputs, one model run each.</summary>
    internal override ExtractionBatching BatchingFor(ExtractionOptions options, int pending)
    {
        var size = FixedBatchSize ?? Math.Max(1, Math.Min(options.BatchSize, Math.Max(1, pending)));
        return new ExtractionBatching(size, size, WithCachedNeighbours: false, () => CreateBatch(size));
    }

    private static (string Name, string? Explanation, FeatureLayout Layout) ResolveFeatureTensor(OnnxModel model, BackboneSpec spec)
    {
        string name;
        string? explanation = null;
        if (spec.Features.IsAuto)
        {
            FeatureTensor located;
            try { located = new FeatureTensorLocator().Locate(model); }
            catch (FeatureTensorNotFoundException e)
            {
                throw new BackboneSpecException($"Backbone '{spec.Name}' asks for the feature tensor \"auto\", but: {e.Message} Set features.tensor in the spec.", e);
            }
            name = located.Name;
            explanation = located.Explain();
        }
        else
        {
            name = spec.Features.Tensor;
        }
        var info = model.FindTensor(name);
        if (info is null)
        {
            // CutAt's message lists similar names; use it for the refusal.
            try { model.Clone().CutAt(name); }
            catch (OnnxModelException e) { throw new BackboneSpecException($"Backbone '{spec.Name}': features.tensor \"{name}\" is not usable: {e.Message}", e); }
        }
        // float16 only in a model that computes in float16, which runs as fp16 (checked first): its output is cast to float32.
        if (info is not null && info.ElementType is not (OnnxDataType.Float or OnnxDataType.Float16))
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': the feature tensor '{name}' holds {info.ElementType.DisplayName()}, not float. " +
                "Name the float tensor (in a quantised model, the input of the QuantizeLinear before the classifier).");
        var layout = info is null ? FeatureLayout.Unknown : FeatureTensorLocator.LayoutOf(model, name);
        switch (layout)
        {
            case FeatureLayout.Spatial when spec.Features.Pooling == FeaturePooling.None:
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': the feature tensor '{name}' is a feature map {info!.Shape} ([N, C, H, W]); set features.pooling to " +
                    "\"global-average\" to average it over H and W, or name the pooled tensor after it.");
            case FeatureLayout.Pooled when spec.Features.Pooling == FeaturePooling.GlobalAverage:
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': the feature tensor '{name}' is already one vector per image {info!.Shape}; set features.pooling to \"none\".");
            case FeatureLayout.Sequence:
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': the feature tensor '{name}' {info!.Shape} is one vector per token or position; an image backbone needs " +
                    "[N, D] or [N, C, H, W]. Name another tensor.");
        }
        return (name, explanation, layout);
    }

    /// <summary>The per-image shape of the feature tensor: [D] or [C, H, W]; dynamic sizes are learnt from one probe run.</summary>
    private static long[] FeatureShape(ModelSession session, string featureTensor, string inputName, BackboneSpec spec,
        FeatureLayout declaredLayout, int? fixedBatch, ImageInputSpec image)
    {
        var output = session.Session.OutputMetadata[featureTensor];
        if (output.ElementDataType != TensorElementType.Float)
            throw new BackboneSpecException($"Backbone '{spec.Name}': the feature tensor '{featureTensor}' is {output.ElementDataType.DisplayName()}; a float tensor is needed.");
        long[] perImage;
        if (output.IsTensor && output.Dimensions.Length is 2 or 4 && AllFixedAfterBatch(output.Dimensions))
            perImage = Array.ConvertAll(output.Dimensions[1..], d => (long)d);
        else
            perImage = Probe(session, featureTensor, inputName, spec, fixedBatch, image);

        switch (perImage.Length)
        {
            case 1 when spec.Features.Pooling == FeaturePooling.None:
            case 3 when spec.Features.Pooling == FeaturePooling.GlobalAverage:
                return perImage;
            case 3:
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': the feature tensor '{featureTensor}' is a feature map [N,{string.Join(",", perImage)}]; set features.pooling to \"global-average\".");
            case 1:
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': the feature tensor '{featureTensor}' is already [N,{perImage[0]}]; set features.pooling to \"none\".");
            default:
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': the feature tensor '{featureTensor}' has shape [N,{string.Join(",", perImage)}] (layout {declaredLayout}); " +
                    "an image backbone needs [N, D] or [N, C, H, W]. Name another tensor.");
        }
    }

    private static bool AllFixedAfterBatch(ReadOnlySpan<int> dims)
    {
        for (var i = 1; i < dims.Length; i++)
            if (dims[i] < 1) return false;
        return true;
    }

    private static long[] Probe(ModelSession session, string featureTensor, string inputName, BackboneSpec spec, int? fixedBatch, ImageInputSpec image)
    {
        var rows = fixedBatch ?? 1;
        var (width, height) = (image.Preprocess.Width, image.Preprocess.Height);
        var perImage = spec.Layout == TensorLayout.Nchw ? new long[] { rows, 3, height, width } : [rows, height, width, 3];
        using var input = OrtValue.CreateTensorValueFromMemory(new float[rows * 3 * height * width], perImage);
        using var runOptions = new RunOptions();
        using var result = session.Session.Run(runOptions, [inputName], [input], [featureTensor]);
        var shape = TensorValues.ShapeOf(result[0]);
        if (shape.Length == 0 || shape[0] != rows)
            throw new BackboneSpecException($"Backbone '{spec.Name}': the feature tensor '{featureTensor}' is not batched (shape {TensorValues.Format(shape)}); name a tensor whose first dimension is the batch.");
        return shape[1..].ToArray();
    }
}
