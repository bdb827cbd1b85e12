using System.Security.Cryptography;
using System.Text;
using OnnxTransfer.Features.Extraction;
using OnnxTransfer.Features.Fingerprints;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Runtime;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;
using OnnxTransfer.Text.Pooling;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// A text encoder ready to embed: the spec checked against the model (sha256, token inputs, the output to pool) and the
/// tokenizer (lower-casing, length), the model cut at that output and loaded into ONNX Runtime, and the fingerprint
/// computed. A text is tokenised into its position of a <see cref="TextBatch"/> (truncated, or an error row, as the
/// over-length policy says); <see cref="Embed"/> cuts the batch's texts into length-bucketed model runs, each padded to
/// its longest text, and pools the token vectors (mean over the attention mask, first token, max) or takes the model's
/// pooled output, then L2-normalises if the spec says so.
/// </summary>
public sealed class TextBackbone : Backbone
{
    private readonly string[] _outputNames;

    private TextBackbone(BackboneSpec spec, TextInputSpec text, string modelPath, string modelSha256, string featureTensor,
        ModelSession session, TextEncoderInputs inputs, BertTokenizer tokenizer, string vocabularySha256, int dimension,
        OverLengthPolicy overLength, IReadOnlyList<string> notes)
        : base(spec, modelPath, modelSha256, featureTensor, session, dimension, notes)
    {
        Inputs = inputs;
        Tokenizer = tokenizer;
        VocabularySha256 = vocabularySha256;
        Pooling = text.Pooling switch
        {
            TextPooling.Mean => PoolingMode.Mean,
            TextPooling.Cls => PoolingMode.Cls,
            TextPooling.Max => PoolingMode.Max,
            _ => PoolingMode.PooledOutput,
        };
        MaxLength = text.MaxLength;
        Reader = new TextInputReader(new EncoderInputBuilder(tokenizer, new EncoderInputSettings { MaxLength = text.MaxLength, OverLength = overLength }));
        _outputNames = [featureTensor];
        Fingerprint = BackboneFingerprint.ForText(modelSha256, featureTensor, spec.Features, text, vocabularySha256, tokenizer.Settings.Normalizer, dimension);
    }

    /// <summary>The token inputs the model takes and how they are typed.</summary>
    public TextEncoderInputs Inputs { get; }

    public BertTokenizer Tokenizer { get; }

    /// <summary>Tokenisation with the spec's length limit and over-length policy.</summary>
    public override TextInputReader Reader { get; }

    /// <summary>Tokenisation with the spec's length limit and truncation policy.</summary>
    public EncoderInputBuilder Encoder => Reader.Encoder;

    /// <summary>sha256 of the vocabulary (tokens in id order, one per line: vocab.txt's hash).</summary>
    public string VocabularySha256 { get; }

    public PoolingMode Pooling { get; }

    /// <summary>Most tokens per text, [CLS] and [SEP] included.</summary>
    public int MaxLength { get; }

    public override BackboneFingerprint Fingerprint { get; }

    public override int? FixedBatchSize => Inputs.FixedBatchSize;

    /// <summary>
    /// True when the model has no attention mask: padding would change its outputs, so only texts of the same token
    /// count share a batch.
    /// </summary>
    public bool NeedsEqualLengths => Inputs.AttentionMask is null;

    /// <summary>
    /// Checks the spec against its model and tokenizer and loads the model cut at the output to pool. Everything wrong
    /// is refused here, before any text is read, with a <see cref="BackboneSpecException"/> that names the fix.
    /// </summary>
    /// <param name="overLength">Texts longer than <c>text.max_length</c> tokens: truncated and counted (default) or error rows.</param>
    public static new TextBackbone Load(BackboneSpec spec, BackboneRunOptions? options = null, OverLengthPolicy overLength = OverLengthPolicy.Truncate)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new BackboneRunOptions();
        options.Validate();
        var text = spec.RequireText();
        var notes = new List<string>();
        if (spec.Features.Pooling != FeaturePooling.None)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': features.pooling \"{SpecNames.Of(spec.Features.Pooling)}\" is for image feature maps; a text backbone pools " +
                "as text.pooling says (mean, cls, max, pooled-output). Set features.pooling to \"none\".");
        var tokenizer = LoadTokenizer(spec, text);
        var (modelPath, sha) = BackboneModelFile.Verify(spec, notes);
        var model = BackboneModelFile.Parse(spec, modelPath);
        BackboneModelFile.CheckPrecision(spec, model, options);
        var inputs = TextEncoderInputs.Of(model, spec, text.MaxLength);
        if (inputs.FixedBatchSize is { } b) notes.Add($"The model's batch dimension is fixed to {b}: batches of {b} are run.");
        if (inputs.FixedSequenceLength is { } t) notes.Add($"The model takes exactly {t} tokens: every text is padded to {t}.");
        if (inputs.AttentionMask is null) notes.Add("The model has no attention_mask input: only texts of equal token count share a batch.");

        var featureTensor = ResolveFeatureTensor(model, spec, text);
        try { model.CutAt(featureTensor); }
        catch (OnnxModelException e) { throw new BackboneSpecException($"Backbone '{spec.Name}': cannot cut the model at '{featureTensor}': {e.Message}", e); }

        BackboneModelFile.ApplyPrecision(spec, model, options, notes);
        var session = BackboneModelFile.CreateSession(model, modelPath, options);
        try
        {
            var dimension = HiddenSize(session, spec, featureTensor, text.Pooling, inputs, tokenizer);
            return new TextBackbone(spec, text, modelPath, sha, featureTensor, session, inputs, tokenizer, VocabularyHash(tokenizer), dimension, overLength, notes)
            {
                Numerics = EmbeddingNumerics.Derive(options, session.ActiveProviders, QuantizedGraph.Detect(model), OnnxRuntimeVersion.Current),
            };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Tokenises one text (thread-safe): truncated to <see cref="MaxLength"/> and flagged, or an error row by the policy.</summary>
    public EncodedRow Encode(string text) => Encoder.Encode(text);

    /// <summary>A batch of <paramref name="capacity"/> texts, run <see cref="Backbone.FixedBatchSize"/> (else all) at a time.</summary>
    public override TextBatch CreateBatch(int capacity) => CreateBatch(capacity, FixedBatchSize ?? capacity);

    /// <summary>A batch of <paramref name="capacity"/> texts, run at most <paramref name="rowsPerRun"/> at a time (a fixed batch size wins).</summary>
    internal TextBatch CreateBatch(int capacity, int rowsPerRun)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerRun, 1);
        var rows = FixedBatchSize ?? rowsPerRun;
        var length = Inputs.FixedSequenceLength ?? MaxLength;
        var perRow = Pooling == PoolingMode.PooledOutput ? Dimension : checked(length * Dimension);
        return new TextBatch(capacity, rows, Inputs.ElementType, checked(rows * perRow), Dimension);
    }

    private protected override InputFailure? PrepareInput(InputItem item, BackboneBatch batch, int position)
    {
        var (encoding, failure) = Reader.Prepare(item);
        ((TextBatch)batch).Encodings[position] = encoding;
        return failure;
    }

    /// <summary>
    /// Embeds the first <paramref name="count"/> positions of a <see cref="TextBatch"/>: its tokenised texts are sorted
    /// by token count (ties in position order) and cut into runs of at most <see cref="TextBatch.RowsPerRun"/> (texts of
    /// equal length only when the model has no attention mask), each padded to its longest text — excluded positions
    /// count in that plan but are not computed. Allocates only the small ORT value objects.
    /// </summary>
    public override void Embed(BackboneBatch batch, int count, Span<float> embeddings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var texts = (TextBatch)batch;
        if (count < 1 || count > batch.Capacity) throw new ArgumentOutOfRangeException(nameof(count), count, $"1 to {batch.Capacity} texts.");
        if (embeddings.Length < count * Dimension) throw new ArgumentException($"embeddings must hold {count} × {Dimension} floats.", nameof(embeddings));
        var (positions, lengths, rows) = (texts.Positions, texts.Lengths, texts.Rows);
        positions.Clear();
        lengths.Clear();
        for (var p = 0; p < count; p++)
        {
            if (texts.Encodings[p] is not { } encoding) continue;
            positions.Add(p);
            lengths.Add(encoding.Length);
        }
        foreach (var planned in Plan(texts.Batcher, lengths))
        {
            rows.Clear();
            var length = 0;
            foreach (var k in planned)
            {
                length = Math.Max(length, lengths[k]);
                if (batch[positions[k]] != PositionState.Context) rows.Add(positions[k]);
            }
            if (rows.Count == 0) continue;
            var run = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows);
            Run(texts, run, length, cancellationToken);
            for (var r = 0; r < run.Length; r++)
            {
                texts.Pooled.AsSpan(r * Dimension, Dimension).CopyTo(embeddings.Slice(run[r] * Dimension, Dimension));
                batch[run[r]] = PositionState.Embedded;
            }
        }
    }

    /// <summary>
    /// Length-bucketed runs over the prepared texts (indices into <paramref name="lengths"/>); a model without attention
    /// mask gets runs of equal lengths only, since padding would change its outputs.
    /// </summary>
    private IEnumerable<int[]> Plan(LengthBucketingBatcher batcher, List<int> lengths)
    {
        foreach (var planned in batcher.Plan(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lengths)))
        {
            if (!NeedsEqualLengths)
            {
                yield return planned;
                continue;
            }
            var from = 0;
            for (var k = 1; k <= planned.Length; k++)
            {
                if (k < planned.Length && lengths[planned[k]] == lengths[planned[from]]) continue;
                yield return planned[from..k];
                from = k;
            }
        }
    }

    /// <summary>One model run over the texts at <paramref name="rows"/>, padded to <paramref name="minimumLength"/>, pooled into <see cref="TextBatch.Pooled"/>.</summary>
    private void Run(TextBatch batch, ReadOnlySpan<int> rows, int minimumLength, CancellationToken cancellationToken)
    {
        var count = rows.Length;
        var length = Math.Max(minimumLength, Inputs.FixedSequenceLength ?? 0);
        if (FixedBatchSize is { } fixedSize && count < fixedSize)
        {
            // A fixed batch size: repeat the first row to fill it; those outputs are never read.
            Span<int> filled = fixedSize <= 256 ? stackalloc int[fixedSize] : new int[fixedSize];
            rows.CopyTo(filled);
            filled[count..].Fill(rows[0]);
            batch.Fill(filled, Tokenizer.PaddingId, length);
        }
        else
        {
            batch.Fill(rows, Tokenizer.PaddingId, length);
        }
        if (batch.SequenceLength > (Inputs.FixedSequenceLength ?? MaxLength))
            throw new ArgumentException($"A row is longer than the backbone's {MaxLength} tokens: encode texts with TextBackbone.Encode.", nameof(batch));

        var shape = batch.Shape;
        var outputShape = Pooling == PoolingMode.PooledOutput ? new long[] { shape[0], Dimension } : [shape[0], shape[1], Dimension];
        var outputLength = checked((int)(outputShape[0] * outputShape[1] * (outputShape.Length == 3 ? outputShape[2] : 1)));
        var inputs = batch.InputValues(Inputs);
        try
        {
            using var output = TensorValues.Over(new Memory<float>(batch.Output, 0, outputLength), outputShape);
            Session.Run(Inputs.Names, inputs, _outputNames, [output], cancellationToken);
        }
        finally
        {
            foreach (var value in inputs) value.Dispose();
        }
        var target = batch.Pooled.AsSpan(0, count * Dimension);
        batch.Pool(Pooling, Dimension, count, target);
        if (Spec.Features.L2Normalize) EmbeddingPostprocessing.L2Normalize(target, count, Dimension);
    }

    /// <summary>
    /// Windows of consecutive inputs (whether the cache holds them or not), each embedded in length-bucketed runs of the
    /// batch size: the plan depends only on the inputs, so a resumed run pads every row as an uninterrupted one.
    /// </summary>
    internal override ExtractionBatching BatchingFor(ExtractionOptions options, int pending)
    {
        var size = FixedBatchSize ?? options.BatchSize;
        var window = Math.Max(options.TextWindow ?? 16 * size, size);
        return new ExtractionBatching(size, window, WithCachedNeighbours: true, () => CreateBatch(window, size));
    }

    /// <summary>Embeds a few texts (tokenised here); for tests, tools and single predictions.</summary>
    /// <exception cref="ArgumentException">A text cannot be encoded (e.g. too long under the refuse policy).</exception>
    public float[] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var encodings = new TokenEncoding[texts.Count];
        for (var i = 0; i < encodings.Length; i++)
        {
            var row = Encode(texts[i]);
            encodings[i] = row.Encoding ?? throw new ArgumentException($"Text {i} cannot be embedded: {row.Error}.", nameof(texts));
        }
        var result = new float[texts.Count * Dimension];
        using var batch = CreateBatch(Math.Max(1, Math.Min(texts.Count, 64)));
        for (var start = 0; start < texts.Count; start += batch.Capacity)
        {
            var n = Math.Min(batch.Capacity, texts.Count - start);
            for (var i = 0; i < n; i++) batch.Encodings[i] = encodings[start + i];
            Embed(batch, n, result.AsSpan(start * Dimension, n * Dimension), cancellationToken);
        }
        return result;
    }

    private static BertTokenizer LoadTokenizer(BackboneSpec spec, TextInputSpec text)
    {
        var folder = SpecPaths.Resolve(text.Tokenizer, spec.BaseDirectory, "text.tokenizer");
        BertTokenizer tokenizer;
        try { tokenizer = BertTokenizer.FromDirectory(folder); }
        catch (TokenizerConfigurationException e)
        {
            throw new BackboneSpecException($"Backbone '{spec.Name}': text.tokenizer '{folder}': {e.Message}", e);
        }
        if (tokenizer.Settings.Normalizer.Lowercase != text.LowerCase)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': text.lower_case is {(text.LowerCase ? "true" : "false")} but the tokenizer in '{folder}' " +
                $"{(tokenizer.Settings.Normalizer.Lowercase ? "lower-cases" : "keeps case")}. Set text.lower_case to match the model's tokenizer " +
                "(uncased models lower-case, cased ones do not).");
        var least = tokenizer.SpecialTokenCount(pair: false) + 1;
        if (text.MaxLength < least)
            throw new BackboneSpecException($"Backbone '{spec.Name}': text.max_length {text.MaxLength} leaves no room for a word: use at least {least}.");
        if (text.MaxLength > tokenizer.Settings.ModelMaxLength)
            throw new BackboneSpecException(
                $"Backbone '{spec.Name}': text.max_length is {text.MaxLength} but the tokenizer says the model takes at most " +
                $"{tokenizer.Settings.ModelMaxLength} tokens (model_max_length): use at most that.");
        return tokenizer;
    }

    /// <summary>
    /// The output to pool: for mean/cls/max the token vectors (<c>features.tensor</c>, or "auto": <c>last_hidden_state</c>,
    /// else the model's only [batch, sequence, hidden] float output); for pooled-output the output named in
    /// <c>text.pooled_output</c>.
    /// </summary>
    private static string ResolveFeatureTensor(OnnxModel model, BackboneSpec spec, TextInputSpec text)
    {
        string name;
        var outputs = model.Outputs;
        var list = string.Join(", ", outputs.Select(o => $"'{o}'"));
        if (text.Pooling == TextPooling.PooledOutput)
        {
            name = text.PooledOutput!;
            if (!spec.Features.IsAuto && spec.Features.Tensor != name)
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': text.pooling is \"pooled-output\" with text.pooled_output \"{name}\", but features.tensor is \"{spec.Features.Tensor}\". " +
                    "Set features.tensor to \"auto\" (or to the same name).");
        }
        else if (!spec.Features.IsAuto)
        {
            name = spec.Features.Tensor;
        }
        else if (outputs.Any(o => o.Name == "last_hidden_state"))
        {
            name = "last_hidden_state";
        }
        else
        {
            var sequences = outputs.Where(o => o.ElementType == OnnxDataType.Float && o.Shape is { Rank: 3 }).ToList();
            if (sequences.Count != 1)
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': features.tensor is \"auto\" but the model has {(sequences.Count == 0 ? "no" : "several")} [batch, sequence, hidden] " +
                    $"outputs and none named last_hidden_state (outputs: {list}). Name the token vectors in features.tensor.");
            name = sequences[0].Name;
        }

        var info = model.FindTensor(name);
        if (info is null)
        {
            try { model.Clone().CutAt(name); } // its message lists similar names
            catch (OnnxModelException e) { throw new BackboneSpecException($"Backbone '{spec.Name}': \"{name}\" is not usable: {e.Message} (outputs: {list})", e); }
        }
        // float16 only in a model that computes in float16, which runs as fp16 (checked first): its output is cast to float32.
        if (info is not null && info.ElementType is not (OnnxDataType.Float or OnnxDataType.Float16))
            throw new BackboneSpecException($"Backbone '{spec.Name}': '{name}' holds {info.ElementType.DisplayName()}; a float output is needed.");
        var rank = text.Pooling == TextPooling.PooledOutput ? 2 : 3;
        if (info?.Shape is { } shape && shape.Rank != rank)
            throw new BackboneSpecException(text.Pooling == TextPooling.PooledOutput
                ? $"Backbone '{spec.Name}': text.pooled_output '{name}' has shape {shape}; a pooled output is [batch, hidden]. " +
                  "For token vectors [batch, sequence, hidden] use text.pooling mean, cls or max."
                : $"Backbone '{spec.Name}': '{name}' has shape {shape}; mean/cls/max pooling needs token vectors [batch, sequence, hidden]. " +
                  "For a pooled [batch, hidden] output set text.pooling to \"pooled-output\" and name it in text.pooled_output.");
        return name;
    }

    /// <summary>The hidden size: the output's last dimension when declared, else from one probe run on "[CLS] [SEP]".</summary>
    private static int HiddenSize(ModelSession session, BackboneSpec spec, string output, TextPooling pooling, TextEncoderInputs inputs, BertTokenizer tokenizer)
    {
        var metadata = session.Session.OutputMetadata[output];
        if (metadata.ElementDataType != TensorElementType.Float)
            throw new BackboneSpecException($"Backbone '{spec.Name}': output '{output}' is {metadata.ElementDataType.DisplayName()}; a float output is needed.");
        var rank = pooling == TextPooling.PooledOutput ? 2 : 3;
        if (metadata.IsTensor && metadata.Dimensions.Length == rank && metadata.Dimensions[^1] > 0) return metadata.Dimensions[^1];

        var rows = inputs.FixedBatchSize ?? 1;
        var length = inputs.FixedSequenceLength ?? 2;
        var encoding = tokenizer.Encode("", EncodeOptions.Default);
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        for (var r = 0; r < rows; r++)
            for (var t = 0; t < Math.Min(length, encoding.Length); t++) { ids[r * length + t] = encoding.Ids[t]; mask[r * length + t] = 1; }
        var values = new List<OrtValue>();
        try
        {
            long[] inputShape = [rows, length];
            OrtValue Make(long[] data) => inputs.ElementType == OnnxDataType.Int32
                ? OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(data, v => (int)v), inputShape)
                : OrtValue.CreateTensorValueFromMemory(data, inputShape);
            values.Add(Make(ids));
            if (inputs.AttentionMask is not null) values.Add(Make(mask));
            if (inputs.TokenTypeIds is not null) values.Add(Make(new long[rows * length]));
            using var runOptions = new RunOptions();
            using var result = session.Session.Run(runOptions, inputs.Names, values, [output]);
            var probed = TensorValues.ShapeOf(result[0]);
            if (probed.Length != rank || probed[0] != rows)
                throw new BackboneSpecException(
                    $"Backbone '{spec.Name}': output '{output}' has shape {TensorValues.Format(probed)} for {rows} text(s); " +
                    (rank == 3 ? "token vectors are [batch, sequence, hidden]." : "a pooled output is [batch, hidden]."));
            return checked((int)probed[^1]);
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    /// <summary>sha256 of the tokens in id order, each followed by a newline: for a vocab.txt-based tokenizer, the file's own hash.</summary>
    private static string VocabularyHash(BertTokenizer tokenizer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var vocabulary = tokenizer.Vocabulary;
        Span<byte> newline = [(byte)'\n'];
        for (var id = 0; id < vocabulary.Count; id++)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(vocabulary.TokenOf(id)));
            hash.AppendData(newline);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
