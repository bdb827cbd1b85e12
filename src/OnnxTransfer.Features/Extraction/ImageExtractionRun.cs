using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Pipeline;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One extraction run of an image backbone: batches of consecutive pending inputs, decoded straight into a reused
/// batch tensor, embedded and written in order.
/// </summary>
internal sealed class ImageExtractionRun(ImageBackbone backbone, ExtractionOptions options, EmbeddingCache cache, List<InputItem> items,
    IProgress<ExtractionProgress>? progress, Stopwatch clock)
    : ExtractionRun(new CachePartSequence(cache, backbone.ActiveProviders, backbone.Numerics, options, items.Count, backbone.Dimension)),
      IBatchStages<ImageExtractionRun.Buffer>
{
    public override int BatchSize { get; } = backbone.FixedBatchSize ?? Math.Max(1, Math.Min(options.BatchSize, Math.Max(1, items.Count)));

    public int Units => (items.Count + BatchSize - 1) / BatchSize;

    public int PositionsOf(int unit) => Math.Min(BatchSize, items.Count - unit * BatchSize);

    public override void Execute(CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            progress?.Report(new ExtractionProgress(0, 0, 0, 0, clock.Elapsed));
            return;
        }
        var buffers = new Buffer[Math.Min(options.BatchesInFlight, Units)];
        try
        {
            for (var s = 0; s < buffers.Length; s++) buffers[s] = new Buffer(backbone.CreateBatch(BatchSize), backbone.Dimension);
            Times = BatchPipeline<Buffer>.Run(this, buffers, Math.Min(options.EffectiveDecodeThreads, items.Count), cancellationToken);
        }
        finally
        {
            foreach (var buffer in buffers) buffer?.Batch.Dispose();
            Parts.Dispose(); // a part that could not be committed is abandoned: its temporary file is deleted
        }
    }

    public void Prepare(Buffer buffer, int unit, int position)
    {
        var item = items[unit * BatchSize + position];
        buffer.Errors[position] = Prepare(item, buffer.Batch.ImageSlot(position));
    }

    /// <summary>Decodes one input into its tensor slice; null on success, else its error row.</summary>
    private ErrorRow? Prepare(InputItem item, Span<float> destination)
    {
        if (item.Failure is { } failure) return Error(item, failure.Code, failure.Message);
        try
        {
            backbone.Prepare(item.Source, destination);
            return null;
        }
        catch (ImageDecodeException e)
        {
            return Error(item, e.ReasonCode, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error(item, "io-error", $"{item.Source}: {e.Message}");
        }
        catch (Exception e) when (e is VipsException or ArgumentException or InvalidOperationException)
        {
            // Not expected from a well-formed decoder call; recorded so that one odd file never stops a long run.
            return Error(item, "decode-failed", $"{item.Source}: {e.GetType().Name}: {e.Message}");
        }
    }

    private static ErrorRow Error(InputItem item, string reason, string message) =>
        new(item.Id, item.Source, item.Label, item.Split, reason, message);

    public void Run(Buffer buffer, int unit, CancellationToken token)
    {
        var count = PositionsOf(unit);
        if (Array.IndexOf(buffer.Errors, null, 0, count) >= 0) // at least one input decoded
            backbone.Embed(buffer.Batch, count, buffer.Embeddings, token);
    }

    public bool Write(Buffer buffer, int unit)
    {
        var first = unit * BatchSize;
        var count = PositionsOf(unit);
        for (var j = 0; j < count; j++)
        {
            if (buffer.Errors[j] is { } error) Parts.AddError(error);
            else Parts.AddEmbedding(items[first + j], buffer.Embeddings.AsSpan(j * backbone.Dimension, backbone.Dimension));
        }
        progress?.Report(new ExtractionProgress(items.Count, Embedded, Failed, Parts.Committed, clock.Elapsed));
        return true;
    }

    /// <summary>
    /// Whether the run finished or was stopped, every row appended so far is whole: commit them, so an interrupted run
    /// (Ctrl-C) keeps its work. Only a kill loses the part in progress.
    /// </summary>
    public void Finish()
    {
        Parts.CommitPending();
        progress?.Report(new ExtractionProgress(items.Count, Embedded, Failed, Parts.Committed, clock.Elapsed));
    }

    /// <summary>One reused batch: the input tensor decoders write into, the embeddings, and per position its error.</summary>
    internal sealed class Buffer(BackboneBatch batch, int dimension)
    {
        public BackboneBatch Batch { get; } = batch;

        /// <summary>Pooled, normalised embeddings of the batch, row-major.</summary>
        public float[] Embeddings { get; } = new float[batch.Capacity * dimension];

        /// <summary>Per position: the error of an input that failed, null for one that decoded.</summary>
        public ErrorRow?[] Errors { get; } = new ErrorRow?[batch.Capacity];
    }
}
