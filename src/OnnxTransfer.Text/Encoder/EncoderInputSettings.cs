namespace OnnxTransfer.Text.Encoder;

/// <summary>What to do with a text longer than <see cref="EncoderInputSettings.MaxLength"/> tokens.</summary>
public enum OverLengthPolicy
{
    /// <summary>Keep the first (or last) tokens and flag the row as truncated (the default).</summary>
    Truncate,
    /// <summary>Turn the row into an error instead.</summary>
    Refuse,
}

/// <summary>How texts become encoder inputs: length limit, truncation and padding.</summary>
public sealed record EncoderInputSettings
{
    /// <summary>Most tokens per row, special tokens included (the model's limit, 512 for BERT).</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Over-long rows are truncated (and flagged) or refused.</summary>
    public OverLengthPolicy OverLength { get; init; } = OverLengthPolicy.Truncate;

    public TruncationStrategy TruncationStrategy { get; init; } = TruncationStrategy.LongestFirst;

    public SequenceSide TruncationSide { get; init; } = SequenceSide.Right;

    public TruncationCompatibility TruncationCompatibility { get; init; } = TruncationCompatibility.Tokenizers022;

    /// <summary>Round each batch's padded length up to a multiple of this (8 suits tensor cores); 1 = no rounding.</summary>
    public int PadToMultipleOf { get; init; } = 1;

    /// <summary>Where padding goes. BERT: right.</summary>
    public SequenceSide PaddingSide { get; init; } = SequenceSide.Right;

    internal void Validate(BertTokenizer tokenizer)
    {
        var least = tokenizer.SpecialTokenCount(pair: true);
        if (MaxLength < least)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, $"MaxLength must leave room for {least} special tokens: use at least {least}.");
        if (MaxLength > tokenizer.Settings.ModelMaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength,
                $"MaxLength {MaxLength} is more than the model accepts ({tokenizer.Settings.ModelMaxLength}, model_max_length): use at most that.");
        if (PadToMultipleOf < 1)
            throw new ArgumentOutOfRangeException(nameof(PadToMultipleOf), PadToMultipleOf, "PadToMultipleOf must be 1 or more.");
    }
}
