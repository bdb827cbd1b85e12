using OnnxTransfer.Formats;
using OnnxTransfer.Onnx;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// Reused buffers for one text batch of a <see cref="TextBackbone"/>: the padded encoder inputs (int64 or int32, as the
/// model declares them) and the output tensor ORT writes into, sized for the largest batch the backbone runs
/// (capacity × max length × hidden). Used by one thread at a time.
/// </summary>
public sealed class TextBatch
{
    private readonly EncoderBatch<long>? _long;
    private readonly EncoderBatch<int>? _int;

    internal TextBatch(int capacity, OnnxDataType elementType, int outputLength)
    {
        Capacity = capacity;
        if (elementType == OnnxDataType.Int32) _int = new EncoderBatch<int>();
        else _long = new EncoderBatch<long>();
        Output = new float[outputLength];
    }

    /// <summary>Rows the batch holds at most.</summary>
    public int Capacity { get; }

    /// <summary>The encoder output as the model computes it: [rows, T, H] token vectors, or [rows, H] pooled.</summary>
    internal float[] Output { get; }

    /// <summary>Rows in the last <see cref="Fill"/> (repeats added for a fixed batch size included).</summary>
    internal int Rows => _long?.BatchSize ?? _int!.BatchSize;

    /// <summary>Padded length of the last <see cref="Fill"/>.</summary>
    internal int SequenceLength => _long?.SequenceLength ?? _int!.SequenceLength;

    internal long[] Shape => _long?.Shape ?? _int!.Shape;

    internal void Fill(IReadOnlyList<TokenEncoding> encodings, ReadOnlySpan<int> rows, int padId, int minimumLength)
    {
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
