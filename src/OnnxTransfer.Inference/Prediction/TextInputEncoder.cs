using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Formats;
using OnnxTransfer.Runtime;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// Text inputs: tokenised with the backbone's length limit into a batch's encodings (one per position, a placeholder
/// keeping a failed position's row in place); each batch is padded to its longest text and fed to the token inputs a
/// fused model declares (int64 or int32), or embedded by the chained <see cref="TextBackbone"/> (the extraction code).
/// </summary>
internal sealed class TextInputEncoder : InputEncoder
{
    private static readonly string[] OutputNames = [ModelLayout.ProbabilitiesOutput];
    private readonly TokenEncoding _placeholder;
    private readonly TextBackbone? _backbone;
    private readonly FusedInputs? _fused;

    private TextInputEncoder(EncoderInputBuilder encoder, TextBackbone? backbone, FusedInputs? fused)
    {
        Encoder = encoder;
        _backbone = backbone;
        _fused = fused;
        _placeholder = encoder.Encode("").Encoding!; // [CLS] [SEP]: the shortest row there is
    }

    /// <summary>The encoder of a chained text backbone: its own tokenisation.</summary>
    public static TextInputEncoder Of(TextBackbone backbone) => new(backbone.Encoder, backbone, null);

    /// <summary>
    /// The encoder of a fused text model: the tokenizer from the model's own metadata (<see cref="MetadataKeys.Tokenizer"/>),
    /// so the file alone tokenises as the backbone did, fed to the token inputs the session declares.
    /// </summary>
    public static TextInputEncoder Of(FusedModelInfo info, ModelSession session)
    {
        var text = info.Spec.RequireText();
        if (info.TokenizerJson is null)
            throw new InferenceException($"The fused text model '{info.Path}' has no {MetadataKeys.Tokenizer} metadata, so it cannot tokenise; compose it again.");
        BertTokenizer tokenizer;
        try { tokenizer = BertTokenizerJson.Read(info.TokenizerJson); }
        catch (TokenizerConfigurationException e) { throw new InferenceException($"The fused text model '{info.Path}': {e.Message}", e); }
        foreach (var (name, input) in session.Session.InputMetadata)
        {
            if (name != info.InputName && name != TextEncoderInputs.AttentionMaskName && name != TextEncoderInputs.TokenTypeIdsName)
                throw new InferenceException($"The fused text model '{info.Path}' takes an input '{name}' OnnxTransfer does not feed; compose it again.");
            if (input.ElementDataType is not (TensorElementType.Int64 or TensorElementType.Int32))
                throw new InferenceException($"The fused text model '{info.Path}': input '{name}' is {input.ElementDataType.DisplayName()}, not int64 or int32.");
        }
        var ids = session.Session.InputMetadata[info.InputName];
        int? fixedLength = ids.IsTensor && ids.Dimensions.Length == 2 && ids.Dimensions[1] > 0 ? ids.Dimensions[1] : null;
        var encoder = new EncoderInputBuilder(tokenizer, new EncoderInputSettings { MaxLength = Math.Min(text.MaxLength, fixedLength ?? int.MaxValue) });
        var names = session.InputNames.ToHashSet(StringComparer.Ordinal);
        var hasMask = names.Contains(TextEncoderInputs.AttentionMaskName);
        var hasTypes = names.Contains(TextEncoderInputs.TokenTypeIdsName);
        string[] inputNames = [info.InputName, .. hasMask ? [TextEncoderInputs.AttentionMaskName] : Array.Empty<string>(),
            .. hasTypes ? [TextEncoderInputs.TokenTypeIdsName] : Array.Empty<string>()];
        var int32 = ids.ElementDataType == TensorElementType.Int32;
        return new TextInputEncoder(encoder, null, new FusedInputs(inputNames, int32, hasMask, hasTypes, fixedLength, tokenizer.PaddingId, info.FixedBatchSize));
    }

    public override bool IsText => true;

    /// <summary>Tokenisation as the backbone spec says (max length; over-long texts truncated).</summary>
    public EncoderInputBuilder Encoder { get; }

    public override (string Reason, string Message)? Prepare(InputItem item, EngineBatch batch, int position)
    {
        var own = (TextEngineBatch)batch;
        own.Encodings[position] = null;
        if (item.Failure is { } failure) return (failure.Code, failure.Message);
        if (item.Text is null)
            return ("not-a-text", $"{item.Source}: this model classifies texts; read the inputs as a text file (.txt, .csv, .tsv, .jsonl or .parquet).");
        return PrepareText(item.Text, batch, position, item.Source);
    }

    /// <summary>Tokenises <paramref name="text"/> into position <paramref name="position"/>; null when it is ready, else why not.</summary>
    public (string Reason, string Message)? PrepareText(string text, EngineBatch batch, int position, string name)
    {
        var own = (TextEngineBatch)batch;
        own.Encodings[position] = null;
        var row = Encoder.Encode(text);
        if (row.Encoding is { } encoding)
        {
            own.Encodings[position] = encoding;
            return null;
        }
        return (row.ErrorCode ?? "encode-failed", $"{name}: {row.Error}");
    }

    /// <summary>The first <paramref name="count"/> encodings, failed positions replaced by a placeholder row (its result is not read).</summary>
    private TokenEncoding[] RowsOf(TextEngineBatch batch, int count)
    {
        var rows = batch.Ready;
        for (var i = 0; i < count; i++) rows[i] = batch.Encodings[i] ?? _placeholder;
        return rows;
    }

    public override EngineBatch CreateFusedBatch(int capacity, int classes) => new FusedBatch(capacity, classes, Fused.Int32);

    public override void RunFused(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (FusedBatch)batch;
        var fused = Fused;
        var classes = own.Probabilities.Length / own.Capacity;
        var encodings = RowsOf(own, count);
        var rows = fused.FixedBatchSize ?? count;
        Span<int> positions = own.Positions.AsSpan(0, Math.Min(count, own.Capacity));
        if (rows > count)
        {
            // A fixed batch size: repeat the first row to fill it; those outputs are never read.
            var filled = new int[rows];
            positions.CopyTo(filled);
            filled.AsSpan(count).Fill(0);
            positions = filled;
        }
        long[] shape;
        OrtValue[] inputs;
        if (own.Longs is { } longs)
        {
            longs.Fill(encodings, positions, fused.PaddingId, minimumLength: fused.FixedLength ?? 0);
            shape = longs.Shape;
            inputs = fused.Values(longs.InputIds, longs.AttentionMask, longs.TokenTypeIds, shape);
        }
        else
        {
            var ints = own.Ints!;
            ints.Fill(encodings, positions, fused.PaddingId, minimumLength: fused.FixedLength ?? 0);
            shape = ints.Shape;
            inputs = fused.Values(ints.InputIds, ints.AttentionMask, ints.TokenTypeIds, shape);
        }
        try
        {
            using var output = TensorValues.Over(new Memory<float>(own.Probabilities, 0, rows * classes), [rows, classes]);
            session.Run(fused.InputNames, inputs, OutputNames, [output], cancellationToken);
        }
        finally
        {
            foreach (var value in inputs) value.Dispose();
        }
    }

    public override EngineBatch CreateChainedBatch(ChainedHead head, int capacity, int classes) => new ChainedBatch(Backbone, head, capacity, classes);

    public override void Embed(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (ChainedBatch)batch;
        Backbone.Embed(own.Backbone, RowsOf(own, count), own.Positions.AsSpan(0, count), own.Head.Embeddings, cancellationToken: cancellationToken);
    }

    private TextBackbone Backbone => _backbone ?? throw new InvalidOperationException("A fused model's encoder has no backbone.");

    private FusedInputs Fused => _fused ?? throw new InvalidOperationException("A backbone's encoder feeds no fused model.");

    /// <summary>The token inputs a fused text model declares, and how they are typed and padded.</summary>
    private sealed record FusedInputs(string[] InputNames, bool Int32, bool HasMask, bool HasTypes, int? FixedLength, int PaddingId, int? FixedBatchSize)
    {
        public OrtValue[] Values<T>(Memory<T> ids, Memory<T> mask, Memory<T> types, long[] shape) where T : unmanaged
        {
            var values = new OrtValue[InputNames.Length];
            var at = 0;
            values[at++] = TensorValues.Over(ids, shape);
            if (HasMask) values[at++] = TensorValues.Over(mask, shape);
            if (HasTypes) values[at] = TensorValues.Over(types, shape);
            return values;
        }
    }

    private sealed class FusedBatch(int capacity, int classes, bool int32) : TextEngineBatch(capacity, classes)
    {
        public EncoderBatch<long>? Longs { get; } = int32 ? null : new EncoderBatch<long>();

        public EncoderBatch<int>? Ints { get; } = int32 ? new EncoderBatch<int>() : null;

        public override void Dispose() { }
    }

    private sealed class ChainedBatch : TextEngineBatch, IChainedBatch
    {
        public ChainedBatch(TextBackbone backbone, ChainedHead head, int capacity, int classes) : base(capacity, classes)
        {
            Backbone = backbone.CreateBatch(capacity);
            Head = head.CreateBuffers(capacity, Probabilities);
        }

        public TextBatch Backbone { get; }

        public ChainedHead.Buffers Head { get; }

        public override void Dispose() => Head.Dispose();
    }
}

/// <summary>A text batch: the tokens of each position (filled by <see cref="TextInputEncoder.Prepare"/>) and the probabilities.</summary>
internal abstract class TextEngineBatch(int capacity, int classes) : EngineBatch(capacity, 0, classes)
{
    /// <summary>Per position: the tokens, or null for an input that failed.</summary>
    public TokenEncoding?[] Encodings { get; } = new TokenEncoding?[capacity];

    /// <summary>The encodings handed to the model, placeholders in failed positions (reused).</summary>
    public TokenEncoding[] Ready { get; } = new TokenEncoding[capacity];

    /// <summary>0, 1, …, capacity − 1: the row order of a batch.</summary>
    public int[] Positions { get; } = Enumerable.Range(0, capacity).ToArray();

    /// <summary>Text batches hold no pixels.</summary>
    public override float[] Input => [];
}
