using System.Numerics;
using OnnxTransfer.Text.Tokenization;

namespace OnnxTransfer.Text.Encoder;

/// <summary>The encoding of one input row, or why it has none.</summary>
/// <param name="Encoding">The tokens (possibly truncated: see <see cref="TokenEncoding.IsTruncated"/>); null on error.</param>
/// <param name="Error">Why the row cannot be encoded (over-long under <see cref="OverLengthPolicy.Refuse"/>, …).</param>
/// <param name="ErrorCode">A short code for <paramref name="Error"/> (<see cref="Input.TextErrorCodes"/>).</param>
public readonly record struct EncodedRow(TokenEncoding? Encoding, string? Error, string? ErrorCode = null)
{
    public bool IsError => Error is not null;
}

/// <summary>
/// Turns texts into encoder inputs: each row encoded and truncated to <see cref="EncoderInputSettings.MaxLength"/>
/// (over-long rows flagged or refused), then batches with dynamic padding — each batch as long as its longest row —
/// planned by a <see cref="LengthBucketingBatcher"/>. Thread-safe (the tokenizer is); batches are not shared.
/// </summary>
public sealed class EncoderInputBuilder
{
    private readonly EncodeOptions _options;

    public EncoderInputBuilder(BertTokenizer tokenizer, EncoderInputSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
        Settings = settings ?? new EncoderInputSettings();
        Settings.Validate(tokenizer);
        _options = new EncodeOptions
        {
            MaxLength = Settings.MaxLength,
            TruncationStrategy = Settings.TruncationStrategy,
            TruncationSide = Settings.TruncationSide,
            TruncationCompatibility = Settings.TruncationCompatibility,
        };
    }

    public BertTokenizer Tokenizer { get; }

    public EncoderInputSettings Settings { get; }

    /// <summary>Encodes one row (a text, or a pair when <paramref name="pair"/> is given).</summary>
    public EncodedRow Encode(string text, string? pair = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            var encoding = Tokenizer.Encode(text, pair, _options);
            if (encoding.IsTruncated && Settings.OverLength == OverLengthPolicy.Refuse)
                return new EncodedRow(null,
                    $"the text has {encoding.Length + encoding.TruncatedTokenCount} tokens, more than the maximum of {Settings.MaxLength}: shorten it or allow truncation", Input.TextErrorCodes.TooManyTokens);
            return new EncodedRow(encoding, null);
        }
        catch (TruncationException e)
        {
            return new EncodedRow(null, e.Message, Input.TextErrorCodes.TooManyTokens);
        }
    }

    /// <summary>
    /// The batches of <paramref name="encodings"/> as planned by <paramref name="batcher"/>, shortest first. The same
    /// <see cref="EncoderBatch{T}"/> instance is refilled for every batch: use each before asking for the next.
    /// </summary>
    public IEnumerable<EncoderBatch<T>> Batches<T>(IReadOnlyList<TokenEncoding> encodings, LengthBucketingBatcher batcher)
        where T : unmanaged, IBinaryInteger<T>
    {
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentNullException.ThrowIfNull(batcher);
        var plan = batcher.Plan(encodings);
        var batch = new EncoderBatch<T>();
        foreach (var rows in plan)
        {
            batch.Fill(encodings, rows, Tokenizer.PaddingId, Settings.PadToMultipleOf, Settings.PaddingSide);
            yield return batch;
        }
    }
}
