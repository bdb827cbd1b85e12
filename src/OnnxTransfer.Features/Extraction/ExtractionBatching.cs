using OnnxTransfer.Features.Backbones;

namespace OnnxTransfer.Features.Extraction;

/// <summary>How an extraction run cuts its inputs into the pipeline's units for one backbone.</summary>
/// <param name="BatchSize">Inputs per model run (what the summary reports).</param>
/// <param name="Positions">Inputs per unit (a batch's capacity).</param>
/// <param name="WithCachedNeighbours">
/// True: a unit spans consecutive inputs of the whole list, and those the cache already holds (or another shard owns)
/// are prepared too and excluded from the run, because they shape how the others are computed (text: the padding
/// plan), so a resumed run computes every row as an uninterrupted one. False: a unit is consecutive pending inputs.
/// </param>
/// <param name="CreateBatch">A new unit's buffers.</param>
internal sealed record ExtractionBatching(int BatchSize, int Positions, bool WithCachedNeighbours, Func<BackboneBatch> CreateBatch)
{
    /// <summary>What a batch made by <see cref="CreateBatch"/> is made for: batches of equal shapes are interchangeable.</summary>
    public (int BatchSize, int Positions) Shape => (BatchSize, Positions);
}
