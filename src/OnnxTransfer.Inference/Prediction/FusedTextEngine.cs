using OnnxTransfer.Features.Backbones;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxTransfer.Formats;
using OnnxTransfer.Runtime;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// A fused text model (encoder + pooling + L2 + head in one graph) in one session. The tokenizer comes from the model's
/// own metadata (<see cref="MetadataKeys.Tokenizer"/>), so the file alone tokenises as the backbone did; each
/// batch is padded to its longest text and fed to the token inputs the model declares (int64 or int32).
/// </summary>
internal sealed class FusedTextEngine : TextEngine
{
    private static readonly string[] OutputNames = [ModelLayout.ProbabilitiesOutput];
    private readonly ModelSession _session;
    private readonly string[] _inputNames;
    private readonly bool _int32;
    private readonly bool _hasMask;
    private readonly bool _hasTypes;
    private readonly int? _fixedLength;
    private readonly int _padId;
    private readonly Lazy<string> _identity;

    private FusedTextEngine(FusedModelInfo info, ModelSession session, EncoderInputBuilder encoder, int? fixedLength)
        : base(info.Labels, info.FixedBatchSize, encoder)
    {
        Info = info;
        _session = session;
        var names = session.InputNames.ToHashSet(StringComparer.Ordinal);
        _hasMask = names.Contains(TextEncoderInputs.AttentionMaskName);
        _hasTypes = names.Contains(TextEncoderInputs.TokenTypeIdsName);
        _inputNames = [info.InputName, .. _hasMask ? [TextEncoderInputs.AttentionMaskName] : Array.Empty<string>(),
            .. _hasTypes ? [TextEncoderInputs.TokenTypeIdsName] : Array.Empty<string>()];
        _int32 = session.Session.InputMetadata[info.InputName].ElementDataType == TensorElementType.Int32;
        _fixedLength = fixedLength;
        _padId = encoder.Tokenizer.PaddingId;
        _identity = new Lazy<string>(() => $"fused sha256:{FileHash.Sha256(info.Path)}");
    }

    public FusedModelInfo Info { get; }

    public override IReadOnlyList<string> ActiveProviders => _session.ActiveProviders;

    public override IReadOnlyList<string> Warnings => _session.Warnings;

    public override string Description => $"fused text model {Info.Path}";

    public override string Identity => _identity.Value;

    /// <summary>The engine over an open session of a fused text model (the session is owned from here on).</summary>
    public static FusedTextEngine Create(FusedModelInfo info, ModelSession session)
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
        return new FusedTextEngine(info, session, encoder, fixedLength);
    }

    public override EngineBatch CreateBatch(int capacity) => new Batch(capacity, Labels.Count, _int32);

    public override void Run(EngineBatch batch, int count, CancellationToken cancellationToken)
    {
        var own = (Batch)batch;
        var encodings = RowsOf(own, count);
        var rows = FixedBatchSize ?? count;
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
            longs.Fill(encodings, positions, _padId, minimumLength: _fixedLength ?? 0);
            shape = longs.Shape;
            inputs = Values(longs.InputIds, longs.AttentionMask, longs.TokenTypeIds, shape);
        }
        else
        {
            var ints = own.Ints!;
            ints.Fill(encodings, positions, _padId, minimumLength: _fixedLength ?? 0);
            shape = ints.Shape;
            inputs = Values(ints.InputIds, ints.AttentionMask, ints.TokenTypeIds, shape);
        }
        try
        {
            using var output = TensorValues.Over(new Memory<float>(own.Probabilities, 0, rows * Labels.Count), [rows, Labels.Count]);
            _session.Run(_inputNames, inputs, OutputNames, [output], cancellationToken);
        }
        finally
        {
            foreach (var value in inputs) value.Dispose();
        }
    }

    public override void Dispose() => _session.Dispose();

    private OrtValue[] Values<T>(Memory<T> ids, Memory<T> mask, Memory<T> types, long[] shape) where T : unmanaged
    {
        var values = new OrtValue[_inputNames.Length];
        var at = 0;
        values[at++] = TensorValues.Over(ids, shape);
        if (_hasMask) values[at++] = TensorValues.Over(mask, shape);
        if (_hasTypes) values[at] = TensorValues.Over(types, shape);
        return values;
    }

    private sealed class Batch(int capacity, int classes, bool int32) : TextEngineBatch(capacity, classes)
    {
        public EncoderBatch<long>? Longs { get; } = int32 ? null : new EncoderBatch<long>();

        public EncoderBatch<int>? Ints { get; } = int32 ? new EncoderBatch<int>() : null;

        public override void Dispose() { }
    }
}
