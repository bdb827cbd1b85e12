namespace OnnxTransfer.Features.Specs;

/// <summary>How a text encoder's token vectors become one vector per text.</summary>
public enum TextPooling
{
    /// <summary>Average of the token vectors under the attention mask (sentence-transformers' default).</summary>
    Mean,
    /// <summary>The first ([CLS]) token's vector.</summary>
    Cls,
    /// <summary>Element-wise maximum over the masked tokens.</summary>
    Max,
    /// <summary>A pooled output the model computes itself (e.g. BERT's <c>pooler_output</c>), named by <see cref="TextInputSpec.PooledOutput"/>.</summary>
    PooledOutput,
}

/// <summary>
/// The spec's <c>text</c> section for <see cref="BackboneKind.Text"/> backbones: tokenizer, length limit and pooling
/// (<c>TextBackbone</c> runs it).
/// </summary>
public sealed record TextInputSpec
{
    /// <summary>Tokenizer folder (tokenizer.json, or vocab.txt + configs), relative to the spec file; <c>${VAR}</c> expanded.</summary>
    public required string Tokenizer { get; init; }

    /// <summary>Whether the tokenizer lower-cases; checked against the tokenizer files (a mismatch is refused), and fingerprinted.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>Most tokens per text, [CLS] and [SEP] included; longer texts are truncated (reported) or refused.</summary>
    public int MaxLength { get; init; } = 128;

    public TextPooling Pooling { get; init; } = TextPooling.Mean;

    /// <summary>The model output holding the pooled vector, for <see cref="TextPooling.PooledOutput"/>.</summary>
    public string? PooledOutput { get; init; }
}
