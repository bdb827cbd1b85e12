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
/// A fused text model's inputs: tokenised by the backbone's own <see cref="TextInputReader"/> (with the tokenizer from the
/// model's metadata) into a batch's encodings, a placeholder keeping a failed position's row in place; each batch is
/// padded to its longest text and fed to the token inputs the model declares (int64 or int32).
/// </summary>
internal sealed class TextInputEncoder : InputEncoder
{
    private readonly TokenEncoding _placeholder;
    private readonly TextInputReader _texts;
    private readonly FusedInputs _fused;

    private readonly string[] _outputNames;

    private TextInputEncoder(TextInputReader texts, FusedInputs fused, bool ood) : base(texts)
    {
        _outputNames = ood ? [ModelLayout.ProbabilitiesOutput, ModelLayout.OodScoreOutput] : [ModelLayout.ProbabilitiesOutput];
        _texts = texts;
        _fused = fused;
        _placeholder = texts.Encoder.Encode("").Encoding!; // [CLS] [SEP]: the shortest row there is
    }

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
        return new TextInputEncoder(new TextInputReader(encoder), new FusedInputs(inputNames, int32, hasMask, hasTypes, fixedLength, tokenizer.PaddingId, info.FixedBatchSize), info.Ood is not null);
    }

    public override InputFailure? Prepare(InputItem item, EngineBatch batch, int position)
    {
        var (encoding, failure) = _texts.Prepare(item);
        batch.Encodings[position] = encoding;
        return failure;
    }

    /// <summary>The first <paramref name="count"/> encodings, failed positions replaced by a placeholder row (its result is not read).</summary>
    private TokenEncoding[] RowsOf(FusedBatch batch, int count)
    {
        var rows = batch.Ready;
        for (var i = 0; i < count; i++) rows[i] = batch.Encodings[i] ?? _placeholder;
        return rows;
    }

    public override EngineBatch CreateBatch(int capacity, int classes) => new FusedBatch(capacity, classes, _fused.Int32);

    public override void Run(ModelSession session, EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (FusedBatch)batch;
        var fused = _fused;
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
            using var ood = TensorValues.Over(new Memory<float>(own.OodScores, 0, rows), [rows]);
            session.Run(fused.InputNames, inputs, _outputNames, _outputNames.Length == 1 ? [output] : [output, ood], cancellationToken);
        }
        finally
        {
            foreach (var value in inputs) value.Dispose();
        }
    }

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

    /// <summary>A fused text batch: the tokens of each position, the rows handed to the model, and its reused input buffers.</summary>
    private sealed class FusedBatch(int capacity, int classes, bool int32) : EngineBatch(capacity, classes)
    {
        public override TokenEncoding?[] Encodings { get; } = new TokenEncoding?[capacity];

        /// <summary>The encodings handed to the model, placeholders in failed positions (reused).</summary>
        public TokenEncoding[] Ready { get; } = new TokenEncoding[capacity];

        /// <summary>0, 1, …, capacity − 1: the row order of a batch.</summary>
        public int[] Positions { get; } = Enumerable.Range(0, capacity).ToArray();

        public EncoderBatch<long>? Longs { get; } = int32 ? null : new EncoderBatch<long>();

        public EncoderBatch<int>? Ints { get; } = int32 ? new EncoderBatch<int>() : null;

        public override void Dispose() { }
    }
}
