namespace OnnxTransfer.TestSupport.Models;

/// <summary>
/// The shape of a BERT-architecture encoder with random weights (no pretrained text encoder can be obtained on these
/// machines): vocabulary, hidden size, layers, heads, feed-forward size, position table, and how its inputs are typed.
/// The weights follow from <see cref="Seed"/> alone, so the same config always gives the same model file.
/// </summary>
public sealed record TestBertConfig
{
    /// <summary>30522: the vocabulary of the shared bert-base-uncased tokenizer.</summary>
    public int VocabularySize { get; init; } = 30522;

    public int HiddenSize { get; init; } = 64;

    public int Layers { get; init; } = 2;

    public int Heads { get; init; } = 4;

    public int IntermediateSize { get; init; } = 128;

    /// <summary>Rows of the position embedding table: the longest sequence the model takes.</summary>
    public int MaxPositions { get; init; } = 512;

    public int TypeVocabularySize { get; init; } = 2;

    public ulong Seed { get; init; } = 20240611;

    /// <summary>Standard deviation of the random weights (BERT's initializer range).</summary>
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>LayerNorm epsilon (BERT: 1e-12).</summary>
    public float LayerNormEpsilon { get; init; } = 1e-12f;

    /// <summary>Declare the inputs int32 instead of BERT's usual int64.</summary>
    public bool Int32Inputs { get; init; }

    /// <summary>Whether the model has a <c>token_type_ids</c> input (DistilBERT-style models do not).</summary>
    public bool TokenTypeInput { get; init; } = true;

    /// <summary>Whether the model has the <c>pooler_output</c> output (tanh dense layer on the first token).</summary>
    public bool PoolerOutput { get; init; } = true;

    /// <summary>The small model tests run (hidden 64, 2 layers, 4 heads, FFN 128): milliseconds per batch.</summary>
    public static TestBertConfig Tiny { get; } = new();

    /// <summary>BERT-base's sizes (hidden 768, 12 layers, 12 heads, FFN 3072): for speed measurements.</summary>
    public static TestBertConfig BaseSized { get; } = new() { HiddenSize = 768, Layers = 12, Heads = 12, IntermediateSize = 3072 };

    public int HeadSize => HiddenSize / Heads;

    internal void Validate()
    {
        if (VocabularySize < 1 || HiddenSize < 1 || Layers < 1 || Heads < 1 || IntermediateSize < 1 || MaxPositions < 1 || TypeVocabularySize < 1)
            throw new ArgumentException("Every size of a test BERT must be positive.");
        if (HiddenSize % Heads != 0)
            throw new ArgumentException($"HiddenSize {HiddenSize} is not a multiple of Heads {Heads}.");
    }
}
