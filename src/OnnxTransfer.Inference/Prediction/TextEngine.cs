using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Inference.Prediction;

/// <summary>
/// What the fused and the chained text engines share: tokenisation with the backbone's length limit into a batch's
/// encodings (one per position), and the placeholder that keeps a failed position's row in place.
/// </summary>
internal abstract class TextEngine : InferenceEngine
{
    private readonly TokenEncoding _placeholder;

    protected TextEngine(IReadOnlyList<string> labels, int? fixedBatchSize, EncoderInputBuilder encoder) : base(labels, fixedBatchSize)
    {
        Encoder = encoder;
        _placeholder = encoder.Encode("").Encoding!; // [CLS] [SEP]: the shortest row there is
    }

    /// <summary>Tokenisation as the backbone spec says (max length; over-long texts truncated).</summary>
    public EncoderInputBuilder Encoder { get; }

    public override (string Reason, string Message)? Prepare(InputItem item, EngineBatch batch, int position)
    {
        var own = (TextEngineBatch)batch;
        own.Encodings[position] = null;
        if (item.Failure is { } failure) return (failure.Code, failure.Message);
        if (item.Text is null)
            return ("not-a-text", $"{item.Source}: this model classifies texts; read the inputs as a text file (.txt, .csv, .tsv, .jsonl or .parquet).");
        return PrepareText(item.Text, batch, position, item.Source);
    }

    /// <summary>Tokenises <paramref name="text"/> into position <paramref name="position"/>; null when it is ready, else why not.</summary>
    public (string Reason, string Message)? PrepareText(string text, EngineBatch batch, int position, string name)
    {
        var own = (TextEngineBatch)batch;
        own.Encodings[position] = null;
        var row = Encoder.Encode(text);
        if (row.Encoding is { } encoding)
        {
            own.Encodings[position] = encoding;
            return null;
        }
        return (row.ErrorCode ?? "encode-failed", $"{name}: {row.Error}");
    }

    /// <summary>The first <paramref name="count"/> encodings, failed positions replaced by a placeholder row (its result is not read).</summary>
    protected TokenEncoding[] RowsOf(TextEngineBatch batch, int count)
    {
        var rows = batch.Ready;
        for (var i = 0; i < count; i++) rows[i] = batch.Encodings[i] ?? _placeholder;
        return rows;
    }
}

/// <summary>A text batch: the tokens of each position (filled by <see cref="TextEngine.Prepare"/>) and the probabilities.</summary>
internal abstract class TextEngineBatch(int capacity, int classes) : EngineBatch(capacity, 0, classes)
{
    /// <summary>Per position: the tokens, or null for an input that failed.</summary>
    public TokenEncoding?[] Encodings { get; } = new TokenEncoding?[capacity];

    /// <summary>The encodings handed to the model, placeholders in failed positions (reused).</summary>
    public TokenEncoding[] Ready { get; } = new TokenEncoding[capacity];

    /// <summary>0, 1, …, capacity − 1: the row order of a batch.</summary>
    public int[] Positions { get; } = Enumerable.Range(0, capacity).ToArray();

    /// <summary>Text batches hold no pixels.</summary>
    public override float[] Input => [];
}
