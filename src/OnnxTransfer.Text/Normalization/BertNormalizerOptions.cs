namespace OnnxTransfer.Text.Normalization;

/// <summary>
/// The settings of BERT's normaliser, named as in <c>tokenizer.json</c>'s <c>BertNormalizer</c>.
/// </summary>
/// <param name="CleanText">Remove NUL, U+FFFD and control/format/private-use characters; turn whitespace into spaces.</param>
/// <param name="HandleChineseChars">Surround CJK ideographs with spaces so each becomes a word.</param>
/// <param name="StripAccents">NFD then remove non-spacing marks; <c>null</c> means "as <paramref name="Lowercase"/>".</param>
/// <param name="Lowercase">Lower-case every character (after accents are stripped, as the Rust library does).</param>
public sealed record BertNormalizerOptions(
    bool CleanText = true,
    bool HandleChineseChars = true,
    bool? StripAccents = null,
    bool Lowercase = true)
{
    /// <summary>Whether accents are stripped once <see cref="StripAccents"/>'s default is resolved.</summary>
    public bool StripsAccents => StripAccents ?? Lowercase;
}
