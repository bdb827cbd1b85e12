using System.Collections.Concurrent;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Imaging;
using OnnxTransfer.Inference.Heads;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>How a <see cref="Predictor"/> computes.</summary>
public enum PredictorKind
{
    /// <summary>One fused model (backbone + head in one graph, one session).</summary>
    Fused,
    /// <summary>The backbone and the head as two sessions, features passed in memory.</summary>
    Chained,
}

/// <summary>
/// Classifies images with a trained head: from file paths, encoded bytes or decoded RGB pixels, one at a time or in
/// batches, top-k with label names — or, with a text model, texts (<see cref="PredictText"/>, <see cref="PredictTexts"/>:
/// tokenised here, outside the graph, then encoder, pooling and head). One instance serves any number of threads (the
/// sessions are shared; each call borrows reused buffers), on CPU or CUDA. Load a fused model
/// (<see cref="FromFusedModel"/>) or a backbone spec and a head (<see cref="FromBackbone(BackboneSpec, HeadModel, PredictorOptions?)"/>);
/// both give the same probabilities.
/// <code>
/// using var predictor = Predictor.FromFusedModel("fused.onnx");
/// var p = predictor.Predict("bee.jpg");          // p.Label, p.Probability, p.TopK
/// var q = textPredictor.PredictText("a gripping, funny movie");
/// </code>
/// </summary>
public sealed class Predictor : IDisposable
{
    private readonly InferenceEngine _engine;
    private readonly ConcurrentBag<EngineBatch> _idle = new();
    private readonly ConcurrentBag<EngineBatch> _idleSingles = new();
    private readonly int _batchSize;
    private volatile bool _disposed;

    private Predictor(InferenceEngine engine, PredictorKind kind, PredictorOptions options)
    {
        _engine = engine;
        Kind = kind;
        Options = options;
        _batchSize = engine.FixedBatchSize ?? options.MaxBatchSize;
    }

    public PredictorKind Kind { get; }

    /// <summary>True when the model classifies texts (use <see cref="PredictText"/> / <see cref="PredictTexts"/>), false for images.</summary>
    public bool IsText => _engine.IsText;

    public PredictorOptions Options { get; }

    /// <summary>Class labels in output order.</summary>
    public IReadOnlyList<string> Labels => _engine.Labels;

    /// <summary>Inputs per model run (the model's fixed batch size, or <see cref="PredictorOptions.MaxBatchSize"/>).</summary>
    public int BatchSize => _batchSize;

    /// <summary>ONNX Runtime's providers that run the (backbone) model, e.g. ["CPUExecutionProvider"].</summary>
    public IReadOnlyList<string> ActiveProviders => _engine.ActiveProviders;

    /// <summary>Warnings from session creation (e.g. CUDA fell back to CPU).</summary>
    public IReadOnlyList<string> Warnings => _engine.Warnings;

    public string Description => _engine.Description;

    /// <summary>What determines the probabilities (the fused file's sha256, or backbone fingerprint + head sha256).</summary>
    public string ModelIdentity => _engine.Identity;

    /// <summary>Floats of one preprocessed input (for <see cref="PredictPreprocessed"/>).</summary>
    public int InputLength => Images.Preprocessor.TensorLength;

    /// <summary>The preprocessing this predictor applies (for callers that prepare tensors themselves).</summary>
    public PreprocessSettings Preprocessing => Images.Preprocessor.Settings;

    internal InferenceEngine Engine => _engine;

    /// <summary>Loads a fused model composed by <c>FusedModelComposer</c>; its preprocessing comes from its metadata.</summary>
    /// <exception cref="InferenceException">Not a fused model, or its metadata is incomplete.</exception>
    public static Predictor FromFusedModel(string path, PredictorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new PredictorOptions();
        options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"Model '{Path.GetFullPath(path)}' does not exist: check the path.", path);
        return new Predictor(FusedEngine.Open(path, options), PredictorKind.Fused, options);
    }

    /// <summary>Loads a backbone and a head as two sessions (the chained form); the head is checked against the backbone.</summary>
    /// <exception cref="HeadMismatchException">The head was trained on another backbone or feature dimension.</exception>
    public static Predictor FromBackbone(BackboneSpec spec, HeadModel head, PredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(head);
        options ??= new PredictorOptions();
        options.Validate();
        InferenceEngine engine = ChainedEngine.Open(spec, head, options);
        return new Predictor(engine, PredictorKind.Chained, options);
    }

    /// <inheritdoc cref="FromBackbone(BackboneSpec, HeadModel, PredictorOptions?)"/>
    public static Predictor FromBackbone(string specPath, string headPath, PredictorOptions? options = null) =>
        FromBackbone(BackboneSpecFile.Load(specPath), HeadModel.Load(headPath), options);

    /// <summary>Runs the model <paramref name="runs"/> times on a blank batch so the first real call does not pay for lazy initialisation.</summary>
    public void WarmUp(int runs = 2)
    {
        var batch = Rent(single: true);
        try
        {
            batch.Input.Clear();
            for (var i = 0; i < runs; i++) _engine.Run(batch, _engine.FixedBatchSize ?? 1, CancellationToken.None);
        }
        finally { Return(batch); }
    }

    /// <summary>Classifies one text (a text model). A text that cannot be used (e.g. longer than allowed) gives a failed prediction.</summary>
    /// <param name="name">What the prediction's <see cref="Prediction.Input"/> says; the text itself by default.</param>
    public Prediction PredictText(string text, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        RequireText();
        var batch = Rent(single: true);
        try
        {
            name ??= text;
            if (_engine.Prepare(new Features.Inputs.InputItem(name, name, null, null, Text: text), batch, 0) is { } failure) return Prediction.Failed(name, failure.Reason, failure.Message);
            _engine.Run(batch, 1, CancellationToken.None);
            return Prediction.Scored(name, Labels, batch.Probabilities.AsSpan(0, Labels.Count), Options.TopK, OodAt(batch, 0));
        }
        finally { Return(batch); }
    }

    /// <summary>
    /// Classifies texts (a text model) in batches of <see cref="BatchSize"/>, texts of similar token counts together so
    /// that little padding is computed. A text that cannot be used gives a failed prediction; results are in input order.
    /// </summary>
    /// <param name="names">Optional names for the results (the texts themselves by default).</param>
    public IReadOnlyList<Prediction> PredictTexts(IReadOnlyList<string> texts, IReadOnlyList<string>? names = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (names is not null && names.Count != texts.Count) throw new ArgumentException("Give one name per text.", nameof(texts));
        var engine = RequireText();
        string Name(int i) => names?[i] ?? texts[i];
        var results = new Prediction[texts.Count];
        var encodings = new Text.TokenEncoding?[texts.Count];
        var usable = new List<int>(texts.Count);
        var lengths = new List<int>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(texts[i], nameof(texts));
            var row = engine.Encoder.Encode(texts[i]);
            if (row.Encoding is null)
            {
                results[i] = Prediction.Failed(Name(i), row.ErrorCode ?? "encode-failed", $"{Name(i)}: {row.Error}");
                continue;
            }
            encodings[i] = row.Encoding;
            usable.Add(i);
            lengths.Add(row.Encoding.Length);
        }
        var batch = Rent();
        var classes = Labels.Count;
        try
        {
            foreach (var planned in new Text.Encoder.LengthBucketingBatcher(_batchSize).Plan(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lengths)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var j = 0; j < planned.Length; j++) batch.Encodings[j] = encodings[usable[planned[j]]];
                _engine.Run(batch, planned.Length, cancellationToken);
                for (var j = 0; j < planned.Length; j++)
                {
                    var i = usable[planned[j]];
                    results[i] = Prediction.Scored(Name(i), Labels, batch.Probabilities.AsSpan(j * classes, classes), Options.TopK, OodAt(batch, j));
                }
            }
        }
        finally { Return(batch); }
        return results;
    }

    /// <summary>Classifies one image file.</summary>
    /// <exception cref="ImageDecodeException">The file is not a usable image (missing, truncated, not an image…).</exception>
    public Prediction Predict(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RequireImages();
        return Single(path, slot =>
        {
            using var image = Images.Decoder.Decode(path, Images.Preprocessor);
            Images.Preprocessor.Process(image, slot);
        });
    }

    /// <summary>Classifies one encoded image (JPEG, PNG, … bytes as read from a file or a request).</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image.</exception>
    public Prediction Predict(ReadOnlyMemory<byte> encodedImage, string name = "<bytes>") =>
        RequireImages().Single(name, slot =>
        {
            using var image = Images.Decoder.Decode(encodedImage.Span, Images.Preprocessor, name);
            Images.Preprocessor.Process(image, slot);
        });

    /// <summary>Classifies one decoded, upright 8-bit RGB image (width × height × 3 bytes, row-major).</summary>
    public Prediction Predict(ReadOnlySpan<byte> rgbPixels, int width, int height, string name = "<pixels>")
    {
        RequireImages();
        var batch = Rent(single: true);
        try
        {
            Images.Preprocessor.Process(new RgbImageView(rgbPixels, width, height), batch.ImageSlot(0));
            _engine.Run(batch, 1, CancellationToken.None);
            return Prediction.Scored(name, Labels, batch.Probabilities.AsSpan(0, Labels.Count), Options.TopK, OodAt(batch, 0));
        }
        finally { Return(batch); }
    }

    /// <summary>
    /// Classifies image files in batches of <see cref="BatchSize"/>. An input that cannot be read gives a failed
    /// <see cref="Prediction"/> with its reason; the others are scored. Results are in input order.
    /// </summary>
    public IReadOnlyList<Prediction> PredictFiles(IReadOnlyList<string> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        RequireImages();
        return Batched(paths.Count, i => paths[i], (i, slot) =>
        {
            using var image = Images.Decoder.Decode(paths[i], Images.Preprocessor);
            Images.Preprocessor.Process(image, slot);
        }, cancellationToken);
    }

    /// <summary>Classifies encoded images in batches; names (optional) label the results and error messages.</summary>
    public IReadOnlyList<Prediction> PredictEncoded(IReadOnlyList<ReadOnlyMemory<byte>> images, IReadOnlyList<string>? names = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        RequireImages();
        if (names is not null && names.Count != images.Count) throw new ArgumentException("Give one name per image.", nameof(names));
        string Name(int i) => names?[i] ?? $"<bytes #{i}>";
        return Batched(images.Count, Name, (i, slot) =>
        {
            using var image = Images.Decoder.Decode(images[i].Span, Images.Preprocessor, Name(i));
            Images.Preprocessor.Process(image, slot);
        }, cancellationToken);
    }

    /// <summary>
    /// The lowest level: <paramref name="count"/> inputs already preprocessed as <see cref="Preprocessing"/> says
    /// (<see cref="InputLength"/> floats each) → <paramref name="count"/> × classes probabilities.
    /// </summary>
    public void PredictPreprocessed(ReadOnlySpan<float> inputs, int count, Span<float> probabilities, CancellationToken cancellationToken = default)
    {
        var classes = Labels.Count;
        if (inputs.Length < count * InputLength) throw new ArgumentException($"inputs must hold {count} × {InputLength} floats.", nameof(inputs));
        if (probabilities.Length < count * classes) throw new ArgumentException($"probabilities must hold {count} × {classes} floats.", nameof(probabilities));
        var batch = Rent();
        try
        {
            for (var start = 0; start < count; start += _batchSize)
            {
                var n = Math.Min(_batchSize, count - start);
                inputs.Slice(start * InputLength, n * InputLength).CopyTo(batch.Input);
                _engine.Run(batch, n, cancellationToken);
                batch.Probabilities.AsSpan(0, n * classes).CopyTo(probabilities[(start * classes)..]);
            }
        }
        finally { Return(batch); }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Drain();
        _engine.Dispose();
    }

    private Predictor RequireImages() => !_engine.IsText ? this
        : throw new InvalidOperationException("This predictor's model classifies texts: use PredictText or PredictTexts.");

    /// <summary>The image encoder of an image model.</summary>
    private Features.Backbones.ImageInputReader Images => _engine.Reader as Features.Backbones.ImageInputReader
        ?? throw new InvalidOperationException("This model classifies texts; it has no image decoding or preprocessing. Use Predictor.PredictText / PredictTexts.");

    private Features.Backbones.TextInputReader RequireText() => _engine.Reader as Features.Backbones.TextInputReader
        ?? throw new InvalidOperationException("This predictor's model classifies images: use Predict or PredictFiles.");

    private Prediction Single(string name, Action<Span<float>> prepare)
    {
        var batch = Rent(single: true);
        try
        {
            prepare(batch.ImageSlot(0));
            _engine.Run(batch, 1, CancellationToken.None);
            return Prediction.Scored(name, Labels, batch.Probabilities.AsSpan(0, Labels.Count), Options.TopK, OodAt(batch, 0));
        }
        finally { Return(batch); }
    }

    private Prediction[] Batched(int count, Func<int, string> name, Action<int, Span<float>> prepare, CancellationToken cancellationToken)
    {
        var results = new Prediction[count];
        var batch = Rent();
        var positions = new int[_batchSize];
        var classes = Labels.Count;
        try
        {
            for (var start = 0; start < count; start += _batchSize)
            {
                var end = Math.Min(count, start + _batchSize);
                var filled = 0;
                for (var i = start; i < end; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        prepare(i, batch.ImageSlot(filled));
                        positions[filled++] = i;
                    }
                    catch (Exception e) when (InputFailures.Describe(e, name(i)) is { } failure)
                    {
                        results[i] = Prediction.Failed(name(i), failure.Reason, failure.Message);
                    }
                }
                if (filled == 0) continue;
                _engine.Run(batch, filled, cancellationToken);
                for (var j = 0; j < filled; j++)
                    results[positions[j]] = Prediction.Scored(name(positions[j]), Labels, batch.Probabilities.AsSpan(j * classes, classes), Options.TopK, OodAt(batch, j));
            }
        }
        finally { Return(batch); }
        return results;
    }

    /// <summary>
    /// Buffers for this call: an idle one, or a new one. Single-input calls use one-input buffers (a 32-image buffer is
    /// 19 MB for a 224×224 model); at most two per core of each kind are kept, so memory stays flat under any load.
    /// </summary>
    internal EngineBatch Rent(bool single = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var capacity = single ? _engine.FixedBatchSize ?? 1 : _batchSize;
        var pool = capacity == _batchSize ? _idle : _idleSingles;
        return pool.TryTake(out var batch) ? batch : _engine.CreateBatch(capacity);
    }

    internal void Return(EngineBatch batch)
    {
        var pool = batch.Capacity == _batchSize ? _idle : _idleSingles;
        if (!_disposed && pool.Count < Environment.ProcessorCount * 2)
        {
            pool.Add(batch);
            if (!_disposed) return;
            Drain();
            return;
        }
        batch.Dispose();
    }

    private void Drain()
    {
        while (_idle.TryTake(out var batch)) batch.Dispose();
        while (_idleSingles.TryTake(out var batch)) batch.Dispose();
    }

    /// <summary>The model's OOD output (method and threshold); null when its head was trained without --ood.</summary>
    public OodOutput? Ood => _engine.Ood;

    /// <summary>The OOD score at <paramref name="position"/> of a run batch, with the engine's threshold; null without one.</summary>
    private (float Score, OodOutput Output)? OodAt(EngineBatch batch, int position) =>
        _engine.Ood is { } ood ? (batch.OodScores[position], ood) : null;
}
