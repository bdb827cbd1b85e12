namespace OnnxTransfer.Features.Backbones;

/// <summary>
/// Reused buffers for one batch of a <see cref="Backbone"/> (an <see cref="ImageBatch"/>'s input tensor, a
/// <see cref="TextBatch"/>'s token encodings) and what became of each position: prepared, failed, kept only as context,
/// embedded. Used by one thread at a time, except that distinct positions may be prepared at once.
/// </summary>
public abstract class BackboneBatch : IDisposable
{
    private readonly PositionState[] _states;

    private protected BackboneBatch(int capacity)
    {
        Capacity = capacity;
        _states = new PositionState[capacity];
    }

    /// <summary>Inputs (positions) this batch holds.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Keeps a prepared position out of <see cref="Backbone.Embed"/> while it still shapes the batch (a text's length
    /// counts in the padding plan): an input a resumed run already holds, prepared only so that the others are computed
    /// exactly as in an uninterrupted run.
    /// </summary>
    public void Exclude(int position)
    {
        if (_states[position] == PositionState.Ready) _states[position] = PositionState.Context;
    }

    /// <summary>Whether the last <see cref="Backbone.Embed"/> wrote this position's embedding (false after a failure or a stop).</summary>
    public bool IsEmbedded(int position) => _states[position] == PositionState.Embedded;

    /// <summary>Whether the input at <paramref name="position"/> was cut to fit the model (a text over its token limit).</summary>
    public virtual bool IsTruncated(int position) => false;

    internal PositionState this[int position]
    {
        get => _states[position];
        set => _states[position] = value;
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>What a batch position holds; a new batch's positions are ready (e.g. written directly into the tensor).</summary>
internal enum PositionState : byte
{
    Ready,
    Failed,
    Context,
    Embedded,
}
