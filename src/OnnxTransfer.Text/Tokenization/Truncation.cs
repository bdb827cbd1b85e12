namespace OnnxTransfer.Text.Tokenization;

/// <summary>A text (pair) that cannot be truncated as asked, e.g. OnlySecond without a pair.</summary>
public sealed class TruncationException(string message) : OnnxTransferException(message);

/// <summary>Hugging Face's <c>truncate_encodings</c>: how many tokens of each sequence to keep.</summary>
internal static class Truncation
{
    /// <param name="first">Tokens of the first sequence (special tokens excluded).</param>
    /// <param name="second">Tokens of the pair, or -1 for none.</param>
    /// <param name="maxLength">Budget for the sequences, after the room for special tokens was taken off.</param>
    public static (int KeepFirst, int KeepSecond) KeepLengths(int first, int second, int maxLength, TruncationStrategy strategy)
    {
        var hasPair = second >= 0;
        var secondLength = hasPair ? second : 0;
        if (maxLength == 0) return (0, hasPair ? 0 : -1);
        var total = first + secondLength;
        if (total <= maxLength) return (first, second);
        var toRemove = total - maxLength;

        switch (strategy)
        {
            case TruncationStrategy.LongestFirst:
                if (!hasPair) return (first - toRemove, -1);
                {
                    // The shorter one keeps what it has when the longer one can absorb the cut; otherwise both get half
                    // of the budget, the second sequence taking the odd token.
                    int n1 = first, n2 = second;
                    var swap = n1 > n2;
                    if (swap) (n1, n2) = (n2, n1);
                    n2 = n1 > maxLength ? n1 : Math.Max(n1, maxLength - n1);
                    if (n1 + n2 > maxLength)
                    {
                        n1 = maxLength / 2;
                        n2 = n1 + maxLength % 2;
                    }
                    if (swap) (n1, n2) = (n2, n1);
                    return (Math.Min(first, n1), Math.Min(second, n2));
                }
            case TruncationStrategy.OnlyFirst:
                if (first > toRemove) return (first - toRemove, second);
                throw new TruncationException(
                    $"The first text has {first} tokens, fewer than the {toRemove} that must go to fit the maximum length: raise MaxLength or truncate LongestFirst.");
            case TruncationStrategy.OnlySecond:
                if (!hasPair)
                    throw new TruncationException("OnlySecond truncation needs a text pair: give a pair or truncate LongestFirst/OnlyFirst.");
                if (second > toRemove) return (first, second - toRemove);
                throw new TruncationException(
                    $"The second text has {second} tokens, fewer than the {toRemove} that must go to fit the maximum length: raise MaxLength or truncate LongestFirst.");
            default:
                throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown truncation strategy.");
        }
    }
}
