using System.Numerics;

namespace OnnxTransfer.Text.Encoder;

/// <summary>
/// One batch of encoder inputs — <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>, each [B, T] row-major
/// in <typeparamref name="T"/> (<see cref="long"/> or <see cref="int"/>, as the model declares its inputs) — padded to
/// the longest row of the batch, plus which original row each batch row is. Buffers are reused by
/// <see cref="Fill"/>: a batch is valid until it is filled again.
/// </summary>
public sealed class EncoderBatch<T> where T : unmanaged, IBinaryInteger<T>
{
    private T[] _inputIds = [];
    private T[] _attentionMask = [];
    private T[] _tokenTypeIds = [];
    private int[] _rows = [];
    private int[] _tokenCounts = [];
    private int[] _truncated = [];

    /// <summary>Rows in the batch (B).</summary>
    public int BatchSize { get; private set; }

    /// <summary>Padded length (T): the longest row, rounded up to the pad multiple.</summary>
    public int SequenceLength { get; private set; }

    /// <summary>The tensor shape [B, T].</summary>
    public long[] Shape => [BatchSize, SequenceLength];

    /// <summary>Token ids, [B, T].</summary>
    public Memory<T> InputIds => _inputIds.AsMemory(0, BatchSize * SequenceLength);

    /// <summary>1 for tokens, 0 for padding, [B, T]; also what pooling takes.</summary>
    public Memory<T> AttentionMask => _attentionMask.AsMemory(0, BatchSize * SequenceLength);

    /// <summary>Segment ids, [B, T].</summary>
    public Memory<T> TokenTypeIds => _tokenTypeIds.AsMemory(0, BatchSize * SequenceLength);

    /// <summary>Index of each batch row among the rows given to <see cref="Fill"/> (its original position).</summary>
    public ReadOnlySpan<int> RowIndices => _rows.AsSpan(0, BatchSize);

    /// <summary>Real tokens in each batch row.</summary>
    public ReadOnlySpan<int> TokenCounts => _tokenCounts.AsSpan(0, BatchSize);

    /// <summary>Tokens truncation removed from each batch row (0 when it fitted).</summary>
    public ReadOnlySpan<int> TruncatedTokenCounts => _truncated.AsSpan(0, BatchSize);

    /// <summary>
    /// Fills the batch with <paramref name="encodings"/>[<paramref name="rows"/>[i]] for every i, padded with
    /// <paramref name="padId"/> to the longest of them (rounded up to <paramref name="padToMultipleOf"/>), or to
    /// <paramref name="minimumLength"/> when that is longer — so rows can be run at the length a planned batch had even
    /// when some of its rows are left out (a resumed extraction computes them exactly as the first run would have).
    /// </summary>
    public void Fill(IReadOnlyList<TokenEncoding> encodings, ReadOnlySpan<int> rows, int padId,
        int padToMultipleOf = 1, SequenceSide paddingSide = SequenceSide.Right, int minimumLength = 0)
    {
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentOutOfRangeException.ThrowIfLessThan(padToMultipleOf, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        var longest = minimumLength;
        foreach (var row in rows) longest = Math.Max(longest, encodings[row].Length);
        var length = (longest + padToMultipleOf - 1) / padToMultipleOf * padToMultipleOf;
        Reserve(rows.Length, length);
        BatchSize = rows.Length;
        SequenceLength = length;

        var pad = T.CreateTruncating(padId);
        for (var b = 0; b < rows.Length; b++)
        {
            var encoding = encodings[rows[b]];
            var n = encoding.Length;
            var ids = _inputIds.AsSpan(b * length, length);
            var mask = _attentionMask.AsSpan(b * length, length);
            var types = _tokenTypeIds.AsSpan(b * length, length);
            var at = paddingSide == SequenceSide.Right ? 0 : length - n;
            var padAt = paddingSide == SequenceSide.Right ? n : 0;
            ids.Slice(padAt, length - n).Fill(pad);
            mask.Slice(padAt, length - n).Clear();
            types.Slice(padAt, length - n).Clear();
            Convert(encoding.Ids, ids.Slice(at, n));
            Convert(encoding.AttentionMask, mask.Slice(at, n));
            Convert(encoding.TypeIds, types.Slice(at, n));
            _rows[b] = rows[b];
            _tokenCounts[b] = encoding.TokenCount;
            _truncated[b] = encoding.TruncatedTokenCount;
        }
    }

    /// <summary>
    /// Copies each batch row of <paramref name="batchOutput"/> ([B, <paramref name="width"/>], e.g. pooled embeddings)
    /// to its original row in <paramref name="allRows"/> ([N, width]).
    /// </summary>
    public void ScatterRows<TValue>(ReadOnlySpan<TValue> batchOutput, Span<TValue> allRows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (batchOutput.Length < BatchSize * width)
            throw new ArgumentException($"The batch output has {batchOutput.Length} values; {BatchSize} rows of {width} need {BatchSize * width}.", nameof(batchOutput));
        for (var b = 0; b < BatchSize; b++)
            batchOutput.Slice(b * width, width).CopyTo(allRows.Slice(_rows[b] * width, width));
    }

    private void Reserve(int batch, int length)
    {
        var size = batch * length;
        if (_inputIds.Length < size)
        {
            _inputIds = new T[size];
            _attentionMask = new T[size];
            _tokenTypeIds = new T[size];
        }
        if (_rows.Length < batch)
        {
            _rows = new int[batch];
            _tokenCounts = new int[batch];
            _truncated = new int[batch];
        }
    }

    private static void Convert(ReadOnlySpan<int> source, Span<T> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] = T.CreateTruncating(source[i]);
    }
}
