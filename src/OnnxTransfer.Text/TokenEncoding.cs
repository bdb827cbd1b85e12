namespace OnnxTransfer.Text;

/// <summary>Where a token came from: [<see cref="Start"/>, <see cref="End"/>) in its own input text; (0, 0) for added tokens.</summary>
public readonly record struct TokenOffsets(int Start, int End);

/// <summary>
/// The encoding of one text or text pair, as Hugging Face's <c>Encoding</c>: ids, type ids, attention mask, tokens and
/// offsets, all of the same length. Offsets of the pair's tokens point into the pair's text. Immutable.
/// </summary>
public sealed class TokenEncoding
{
    private readonly int[] _ids;
    private readonly int[] _typeIds;
    private readonly int[] _attentionMask;
    private readonly string[] _tokens;
    private readonly TokenOffsets[] _offsets;

    internal TokenEncoding(int[] ids, int[] typeIds, int[] attentionMask, string[] tokens, TokenOffsets[] offsets,
        int truncatedTokenCount, OffsetUnit offsetUnit)
    {
        _ids = ids;
        _typeIds = typeIds;
        _attentionMask = attentionMask;
        _tokens = tokens;
        _offsets = offsets;
        TruncatedTokenCount = truncatedTokenCount;
        OffsetUnit = offsetUnit;
    }

    /// <summary>Number of tokens, padding included.</summary>
    public int Length => _ids.Length;

    /// <summary>Token ids.</summary>
    public ReadOnlySpan<int> Ids => _ids;

    /// <summary>Segment ids: 0 for the first text and its special tokens, 1 for the pair.</summary>
    public ReadOnlySpan<int> TypeIds => _typeIds;

    /// <summary>1 for real tokens, 0 for padding.</summary>
    public ReadOnlySpan<int> AttentionMask => _attentionMask;

    /// <summary>Token strings (<c>##</c>-prefixed for word-internal pieces).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Offsets into the original text, in <see cref="OffsetUnit"/>.</summary>
    public ReadOnlySpan<TokenOffsets> Offsets => _offsets;

    /// <summary>Unit of <see cref="Offsets"/>.</summary>
    public OffsetUnit OffsetUnit { get; }

    /// <summary>How many tokens truncation removed (0 when the text fitted).</summary>
    public int TruncatedTokenCount { get; }

    /// <summary>Whether truncation removed anything.</summary>
    public bool IsTruncated => TruncatedTokenCount > 0;

    /// <summary>Number of real (non-padding) tokens.</summary>
    public int TokenCount
    {
        get
        {
            var count = 0;
            foreach (var m in _attentionMask) count += m;
            return count;
        }
    }

    /// <summary>
    /// This encoding padded to <paramref name="length"/> tokens with <paramref name="padId"/> (type id 0, attention 0,
    /// offsets (0, 0)); itself when it is already that long or longer.
    /// </summary>
    public TokenEncoding PadTo(int length, int padId, string padToken, SequenceSide side = SequenceSide.Right)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentNullException.ThrowIfNull(padToken);
        if (length <= Length) return this;
        var extra = length - Length;
        var at = side == SequenceSide.Right ? 0 : extra;
        var ids = new int[length];
        var typeIds = new int[length];
        var mask = new int[length];
        var tokens = new string[length];
        var offsets = new TokenOffsets[length];
        _ids.CopyTo(ids, at);
        _typeIds.CopyTo(typeIds, at);
        _attentionMask.CopyTo(mask, at);
        _tokens.CopyTo(tokens, at);
        _offsets.CopyTo(offsets, at);
        var padFrom = side == SequenceSide.Right ? Length : 0;
        ids.AsSpan(padFrom, extra).Fill(padId);
        tokens.AsSpan(padFrom, extra).Fill(padToken);
        return new TokenEncoding(ids, typeIds, mask, tokens, offsets, TruncatedTokenCount, OffsetUnit);
    }
}
