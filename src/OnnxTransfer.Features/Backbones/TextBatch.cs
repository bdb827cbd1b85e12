using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// Reused buffers for one batch of a <see cref="TextBackbone"/>: each position's tokens, and for the model runs the
/// batch is cut into (at most <see cref="RowsPerRun"/> rows each) the padded encoder inputs (int64 or int32, as the
/// model declares them) and the output tensor ORT writes into (rows × max length × hidden). Used by one thread at a
/// time, except that distinct positions may be prepared at once.
/// </summary>
public sealed class TextBatch : BackboneBatch
{
    private readonly EncoderBatch<long>? _long;
    private readonly EncoderBatch<int>? _int;

    internal TextBatch(int capacity, int rowsPerRun, OnnxDataType elementType, int outputLength, int dimension) : base(capacity)
    {
        RowsPerRun = rowsPerRun;
        Encodings = new TokenEncoding?[capacity];
        if (elementType == OnnxDataType.Int32) _int = new EncoderBatch<int>();
        else _long = new EncoderBatch<long>();
        Output = new float[outputLength];
        Pooled = new float[checked(rowsPerRun * dimension)];
        Batcher = new LengthBucketingBatcher(rowsPerRun);
    }

    /// <summary>Rows of one model run (the model's fixed batch size, or the batch size asked for).</summary>
    public int RowsPerRun { get; }

    /// <summary>Per position: the tokens, or null when the input failed (or was not prepared).</summary>
    public TokenEncoding?[] Encodings { get; }

    /// <summary>The encoder output as the model computes it: [rows, T, H] token vectors, or [rows, H] pooled.</summary>
    internal float[] Output { get; }

    /// <summary>One run's pooled, normalised rows, before they go to their positions.</summary>
    internal float[] Pooled { get; }

    internal LengthBucketingBatcher Batcher { get; }

    /// <summary>The planning stage's reused lists: prepared positions, their token counts, one run's rows.</summary>
    internal List<int> Positions { get; } = [];

    internal List<int> Lengths { get; } = [];

    internal List<int> Rows { get; } = [];

    /// <summary>Padded length of the last <see cref="Fill"/>.</summary>
    internal int SequenceLength => _long?.SequenceLength ?? _int!.SequenceLength;

    internal long[] Shape => _long?.Shape ?? _int!.Shape;

    public override bool IsTruncated(int position) => Encodings[position]?.IsTruncated ?? false;

    internal void Fill(ReadOnlySpan<int> rows, int padId, int minimumLength)
    {
        var encodings = (IReadOnlyList<TokenEncoding>)Encodings!; // only prepared positions are named in rows
        if (_long is not null) _long.Fill(encodings, rows, padId, minimumLength: minimumLength);
        else _int!.Fill(encodings, rows, padId, minimumLength: minimumLength);
    }

    /// <summary>ORT values over the input buffers, in the order of <paramref name="inputs"/>' names (dispose after the run).</summary>
    internal Microsoft.ML.OnnxRuntime.OrtValue[] InputValues(TextEncoderInputs inputs)
    {
        var shape = Shape;
        var values = new Microsoft.ML.OnnxRuntime.OrtValue[inputs.Names.Length];
        var at = 0;
        values[at++] = Value(b => b.InputIds, b => b.InputIds, shape);
        if (inputs.AttentionMask is not null) values[at++] = Value(b => b.AttentionMask, b => b.AttentionMask, shape);
        if (inputs.TokenTypeIds is not null) values[at] = Value(b => b.TokenTypeIds, b => b.TokenTypeIds, shape);
        return values;
    }

    /// <summary>Pools the first <paramref name="count"/> rows of <see cref="Output"/> into [count, H] (the mask comes from this batch).</summary>
    internal void Pool(Text.Pooling.PoolingMode mode, int hiddenSize, int count, Span<float> destination)
    {
        var length = SequenceLength;
        var size = mode == Text.Pooling.PoolingMode.PooledOutput ? count * hiddenSize : count * length * hiddenSize;
        var output = Output.AsSpan(0, size);
        if (_long is not null)
            Text.Pooling.EmbeddingPooling.Pool<long>(mode, output, _long.AttentionMask.Span[..(count * length)], count, length, hiddenSize, destination);
        else
            Text.Pooling.EmbeddingPooling.Pool<int>(mode, output, _int!.AttentionMask.Span[..(count * length)], count, length, hiddenSize, destination);
    }

    private Microsoft.ML.OnnxRuntime.OrtValue Value(Func<EncoderBatch<long>, Memory<long>> ofLong, Func<EncoderBatch<int>, Memory<int>> ofInt, long[] shape) =>
        _long is not null ? Runtime.TensorValues.Over(ofLong(_long), shape) : Runtime.TensorValues.Over(ofInt(_int!), shape);
}
