using OnnxTransfer.Features.Cache;
using OnnxTransfer.Text;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One reusable window of the text pipeline: a run of consecutive inputs (in id order) that is tokenised, cut into
/// length-bucketed batches, embedded and written together (<see cref="PipelineSlot"/> hands it from stage to stage).
/// </summary>
internal sealed class TextWindowSlot(int capacity, int dimension) : PipelineSlot
{
    /// <summary>Index of the window's first input among all inputs.</summary>
    public int Start { get; set; }

    /// <summary>Per position: the tokens, or null when the input failed.</summary>
    public TokenEncoding?[] Encodings { get; } = new TokenEncoding?[capacity];

    /// <summary>Per position: the error row of a scheduled input that failed.</summary>
    public ErrorRow?[] Errors { get; } = new ErrorRow?[capacity];

    /// <summary>Per position: the embedding has been computed (all scheduled good rows, unless the run was stopped).</summary>
    public bool[] Computed { get; } = new bool[capacity];

    /// <summary>Embeddings by position, row-major.</summary>
    public float[] Embeddings { get; } = new float[checked(capacity * dimension)];

    protected override void Reset(int count)
    {
        Array.Clear(Encodings); // drop the previous window's tokens
        Array.Clear(Errors);
        Array.Clear(Computed);
    }
}
