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
/// The spec's <c>text</c> section for <see cref="BackboneKind.Text"/> backbones: tokenizer and pooling. Parsed,
/// validated and fingerprinted now; text extraction itself plugs into the pipeline in a later version.
/// </summary>
public sealed record TextInputSpec
{
    /// <summary>Tokenizer folder (tokenizer.json, or vocab.txt + configs), relative to the spec file; <c>${VAR}</c> expanded.</summary>
    public required string Tokenizer { get; init; }

    public bool LowerCase { get; init; } = true;

    public int MaxLength { get; init; } = 128;

    public TextPooling Pooling { get; init; } = TextPooling.Mean;

    /// <summary>The model output holding the pooled vector, for <see cref="TextPooling.PooledOutput"/>.</summary>
    public string? PooledOutput { get; init; }
}
