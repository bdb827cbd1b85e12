namespace OnnxTransfer.Text;

/// <summary>Which tokens truncation removes from a pair (Hugging Face's <c>TruncationStrategy</c>).</summary>
public enum TruncationStrategy
{
    /// <summary>Shorten the longer sequence first, then both evenly (Hugging Face's exact split; the default).</summary>
    LongestFirst,
    /// <summary>Only the first sequence; fails when it cannot lose enough.</summary>
    OnlyFirst,
    /// <summary>Only the second sequence; fails when it cannot lose enough.</summary>
    OnlySecond,
}

/// <summary>Which end of a sequence truncation (or padding) works on.</summary>
public enum SequenceSide
{
    /// <summary>Keep the beginning: truncate or pad at the end (the default).</summary>
    Right,
    /// <summary>Keep the end: truncate or pad at the beginning.</summary>
    Left,
}

/// <summary>Which Hugging Face <c>tokenizers</c> release's truncation to reproduce; they differ for long pairs.</summary>
public enum TruncationCompatibility
{
    /// <summary>
    /// <c>tokenizers</c> up to 0.22 (every transformers 4.x release) and the documented LongestFirst rule: lengths are
    /// counted over whole sequences. The default.
    /// </summary>
    Tokenizers022,

    /// <summary>
    /// <c>tokenizers</c> 0.23 and later: tokenisation of each sequence stops after the word that reaches
    /// <see cref="EncodeOptions.MaxLength"/> (an early-exit optimisation, huggingface/tokenizers#1990; the first text is
    /// exempt under OnlySecond), and LongestFirst then splits the budget between those shortened lengths. This changes
    /// which side gets the odd token when both texts are longer than MaxLength. Single texts are not affected.
    /// </summary>
    Tokenizers023,
}

/// <summary>Unit of <see cref="TokenEncoding.Offsets"/>.</summary>
public enum OffsetUnit
{
    /// <summary>Unicode code points (characters as Python and Hugging Face's bindings count them); the default.</summary>
    CodePoint,
    /// <summary>UTF-16 code units: indices into the .NET <see cref="string"/> (differs only around surrogate pairs).</summary>
    Utf16,
}

/// <summary>How one text (or pair) is encoded.</summary>
public sealed record EncodeOptions
{
    /// <summary>Special tokens, no truncation, code-point offsets.</summary>
    public static EncodeOptions Default { get; } = new();

    /// <summary>Add <c>[CLS]</c>/<c>[SEP]</c> (the post-processing template). Default true.</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>
    /// Truncate to at most this many tokens, special tokens included; <c>null</c> = no truncation. Must leave room
    /// for the special tokens (at least 2 for one text, 3 for a pair with BERT).
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>How a pair is shortened. Default <see cref="TruncationStrategy.LongestFirst"/>.</summary>
    public TruncationStrategy TruncationStrategy { get; init; } = TruncationStrategy.LongestFirst;

    /// <summary>Which end is cut. Default <see cref="SequenceSide.Right"/> (keep the beginning).</summary>
    public SequenceSide TruncationSide { get; init; } = SequenceSide.Right;

    /// <summary>Which release's pair truncation to reproduce. Default <see cref="TruncationCompatibility.Tokenizers022"/>.</summary>
    public TruncationCompatibility TruncationCompatibility { get; init; } = TruncationCompatibility.Tokenizers022;

    /// <summary>Unit of the offsets. Default <see cref="OffsetUnit.CodePoint"/>, as Hugging Face reports them.</summary>
    public OffsetUnit OffsetUnit { get; init; } = OffsetUnit.CodePoint;
}
