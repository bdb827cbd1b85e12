using System.Numerics;
using System.Numerics.Tensors;

namespace OnnxTransfer.Text.Pooling;

/// <summary>How an encoder's per-token outputs become one vector per text.</summary>
public enum PoolingMode
{
    /// <summary>Mean of the token vectors where the attention mask is 1 (sentence-transformers' default).</summary>
    Mean,
    /// <summary>The first token's vector (<c>[CLS]</c>).</summary>
    Cls,
    /// <summary>Element-wise maximum over the tokens where the attention mask is 1.</summary>
    Max,
    /// <summary>
    /// The model's own pooled output (e.g. BERT's <c>pooler_output</c>, [B, H]) is the embedding: this is a choice of
    /// output tensor, made when the feature tensor is selected, not a computation; <see cref="EmbeddingPooling.Pool{TMask}"/>
    /// copies that [B, H] tensor through (normalising it if asked).
    /// </summary>
    PooledOutput,
}

/// <summary>
/// Pooling of <c>last_hidden_state</c> ([B, T, H], row-major) with its attention mask ([B, T]) into [B, H], span in,
/// span out, vectorised with <see cref="TensorPrimitives"/> and without allocation.
/// </summary>
public static class EmbeddingPooling
{
    /// <summary>
    /// Pools <paramref name="hidden"/> ([<paramref name="batch"/>, <paramref name="sequenceLength"/>,
    /// <paramref name="hiddenSize"/>]; for <see cref="PoolingMode.PooledOutput"/> already [batch, hiddenSize]) into
    /// <paramref name="destination"/> ([batch, hiddenSize]), then L2-normalises each row when <paramref name="normalize"/>.
    /// </summary>
    public static void Pool<TMask>(PoolingMode mode, ReadOnlySpan<float> hidden, ReadOnlySpan<TMask> attentionMask,
        int batch, int sequenceLength, int hiddenSize, Span<float> destination, bool normalize = false)
        where TMask : unmanaged, IBinaryInteger<TMask>
    {
        switch (mode)
        {
            case PoolingMode.Mean: Mean(hidden, attentionMask, batch, sequenceLength, hiddenSize, destination); break;
            case PoolingMode.Cls: Cls(hidden, batch, sequenceLength, hiddenSize, destination); break;
            case PoolingMode.Max: Max(hidden, attentionMask, batch, sequenceLength, hiddenSize, destination); break;
            case PoolingMode.PooledOutput:
                CheckSizes(hidden.Length, batch * hiddenSize, destination.Length, batch, hiddenSize, "pooled output [B, H]");
                hidden[..(batch * hiddenSize)].CopyTo(destination);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown pooling mode.");
        }
        if (normalize) NormalizeL2(destination[..(batch * hiddenSize)], hiddenSize);
    }

    /// <summary>Mean over valid tokens; a row without any valid token becomes zeros (sum / max(count, 1e-9)).</summary>
    public static void Mean<TMask>(ReadOnlySpan<float> hidden, ReadOnlySpan<TMask> attentionMask,
        int batch, int sequenceLength, int hiddenSize, Span<float> destination)
        where TMask : unmanaged, IBinaryInteger<TMask>
    {
        CheckSizes(hidden, attentionMask.Length, destination.Length, batch, sequenceLength, hiddenSize);
        for (var b = 0; b < batch; b++)
        {
            var sum = destination.Slice(b * hiddenSize, hiddenSize);
            sum.Clear();
            var count = 0;
            var mask = attentionMask.Slice(b * sequenceLength, sequenceLength);
            for (var t = 0; t < sequenceLength; t++)
            {
                if (TMask.IsZero(mask[t])) continue;
                TensorPrimitives.Add(sum, hidden.Slice((b * sequenceLength + t) * hiddenSize, hiddenSize), sum);
                count++;
            }
            // sentence-transformers divides by clamp(count, min=1e-9): an empty row stays zero instead of NaN.
            TensorPrimitives.Multiply(sum, 1f / Math.Max(count, 1e-9f), sum);
        }
    }

    /// <summary>The first token's vector of every row.</summary>
    public static void Cls(ReadOnlySpan<float> hidden, int batch, int sequenceLength, int hiddenSize, Span<float> destination)
    {
        CheckSizes(hidden, batch * sequenceLength, destination.Length, batch, sequenceLength, hiddenSize);
        for (var b = 0; b < batch; b++)
            hidden.Slice(b * sequenceLength * hiddenSize, hiddenSize).CopyTo(destination.Slice(b * hiddenSize, hiddenSize));
    }

    /// <summary>Element-wise maximum over valid tokens; a row without any valid token becomes zeros.</summary>
    public static void Max<TMask>(ReadOnlySpan<float> hidden, ReadOnlySpan<TMask> attentionMask,
        int batch, int sequenceLength, int hiddenSize, Span<float> destination)
        where TMask : unmanaged, IBinaryInteger<TMask>
    {
        CheckSizes(hidden, attentionMask.Length, destination.Length, batch, sequenceLength, hiddenSize);
        for (var b = 0; b < batch; b++)
        {
            var max = destination.Slice(b * hiddenSize, hiddenSize);
            var mask = attentionMask.Slice(b * sequenceLength, sequenceLength);
            var seen = false;
            for (var t = 0; t < sequenceLength; t++)
            {
                if (TMask.IsZero(mask[t])) continue;
                var token = hidden.Slice((b * sequenceLength + t) * hiddenSize, hiddenSize);
                if (seen) TensorPrimitives.Max(max, token, max);
                else token.CopyTo(max);
                seen = true;
            }
            if (!seen) max.Clear();
        }
    }

    /// <summary>Scales every row of <paramref name="rows"/> ([N, dimension]) to unit L2 norm; zero rows stay zero.</summary>
    public static void NormalizeL2(Span<float> rows, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (rows.Length % dimension != 0)
            throw new ArgumentException($"{rows.Length} values are not whole rows of {dimension}.", nameof(rows));
        for (var at = 0; at < rows.Length; at += dimension)
        {
            var row = rows.Slice(at, dimension);
            var norm = TensorPrimitives.Norm(row);
            // torch.nn.functional.normalize divides by max(norm, 1e-12).
            TensorPrimitives.Multiply(row, 1f / Math.Max(norm, 1e-12f), row);
        }
    }

    private static void CheckSizes(ReadOnlySpan<float> hidden, int maskLength, int destinationLength, int batch, int sequenceLength, int hiddenSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        CheckSizes(hidden.Length, batch * sequenceLength * hiddenSize, destinationLength, batch, hiddenSize, "last_hidden_state [B, T, H]");
        if (maskLength < batch * sequenceLength)
            throw new ArgumentException($"The attention mask has {maskLength} values; [B={batch}, T={sequenceLength}] needs {batch * sequenceLength}.");
    }

    private static void CheckSizes(int hiddenLength, int needed, int destinationLength, int batch, int hiddenSize, string what)
    {
        if (hiddenLength < needed)
            throw new ArgumentException($"The {what} tensor has {hiddenLength} values but the shape needs {needed}: pass the encoder output with the batch's own B and T.");
        if (destinationLength < batch * hiddenSize)
            throw new ArgumentException($"The destination has {destinationLength} values; [B={batch}, H={hiddenSize}] needs {batch * hiddenSize}.");
    }
}
