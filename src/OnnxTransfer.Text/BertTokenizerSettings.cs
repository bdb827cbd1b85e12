using OnnxTransfer.Text.Normalization;

namespace OnnxTransfer.Text;

/// <summary>
/// Everything that makes a BERT WordPiece tokenizer, named after <c>tokenizer_config.json</c>. The defaults are
/// <c>bert-base-uncased</c>'s. Usually read from a tokenizer folder by <see cref="BertTokenizer.FromDirectory"/>.
/// </summary>
public sealed record BertTokenizerSettings
{
    /// <summary>Normalisation (lower-casing, accents, CJK, cleaning).</summary>
    public BertNormalizerOptions Normalizer { get; init; } = new();

    public string UnknownToken { get; init; } = "[UNK]";
    public string ClassifierToken { get; init; } = "[CLS]";
    public string SeparatorToken { get; init; } = "[SEP]";
    public string PaddingToken { get; init; } = "[PAD]";
    public string MaskToken { get; init; } = "[MASK]";

    /// <summary>More tokens that are never split (<c>additional_special_tokens</c>); they must be in the vocabulary.</summary>
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];

    /// <summary>Prefix of word-internal pieces.</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";

    /// <summary>A word of more code points than this becomes <see cref="UnknownToken"/> (Hugging Face: 100).</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>The longest input the model accepts (<c>model_max_length</c>), special tokens included.</summary>
    public int ModelMaxLength { get; init; } = 512;
}
