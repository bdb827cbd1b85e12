namespace OnnxTransfer.Text.Input;

/// <summary>
/// One input row for text extraction. A row that cannot be used keeps its place as an error record: <see cref="Error"/>
/// says why (empty text, invalid UTF-8, malformed JSON…) and <see cref="Text"/> is null.
/// </summary>
/// <param name="Id">The row's id: the id column/field when the input has one, else its line number (from 1).</param>
/// <param name="Text">The text (null for an error record).</param>
/// <param name="Label">The label, when the input has one.</param>
/// <param name="Split">The split (train/val/test…), when the input has one.</param>
/// <param name="Source">The file it came from.</param>
/// <param name="Line">The line where the row starts (from 1).</param>
/// <param name="Error">Why the row is unusable; null for a good row.</param>
/// <param name="IsTruncated">The text was longer than the reader's limit and was cut.</param>
/// <param name="Pair">The second text of a pair, when the input has a pair column/field.</param>
/// <param name="ErrorCode">A short code for <see cref="Error"/> (<see cref="TextErrorCodes"/>), for error rows and counts.</param>
public sealed record TextRecord(
    string Id,
    string? Text,
    string? Label,
    string? Split,
    string Source,
    long Line,
    string? Error = null,
    bool IsTruncated = false,
    string? Pair = null,
    string? ErrorCode = null)
{
    /// <summary>True for an error record.</summary>
    public bool IsError => Error is not null;
}

/// <summary>The reason codes of text error records (the cache's <c>_errors/</c> rows carry them).</summary>
public static class TextErrorCodes
{
    /// <summary>The text is empty or only whitespace.</summary>
    public const string EmptyText = "empty-text";

    /// <summary>The bytes are not valid UTF-8 (nothing is replaced silently).</summary>
    public const string InvalidUtf8 = "invalid-utf8";

    /// <summary>A malformed record: bad CSV quoting or field count, invalid JSON, missing text field, no label.</summary>
    public const string BadRecord = "bad-record";

    /// <summary>Longer than allowed, and the policy refuses instead of truncating.</summary>
    public const string TooLong = "text-too-long";

    /// <summary>More tokens than the encoder's maximum length, and the policy refuses instead of truncating.</summary>
    public const string TooManyTokens = "too-many-tokens";
}
