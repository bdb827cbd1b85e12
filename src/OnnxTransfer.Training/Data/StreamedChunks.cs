using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using OnnxTransfer.Parquet;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// One pass over a streamed split: a reader task fills chunk buffers from the row groups in dataset order (a row group
/// that does not fit the current chunk continues in the next), decoding a chunk's row groups in parallel, checks that
/// every value is finite, applies the preprocessing, and hands full chunks over; the caller computes on one chunk
/// while the next is read. Two chunk buffers circulate, so memory stays at two chunks plus a few row groups whatever
/// the size of the split.
/// </summary>
internal sealed class StreamedChunks(StreamedSplit split, FeaturePreprocessing preprocessing, ComputeContext context) : IRowChunks
{
    private const int Buffers = 2;

    public int Count => split.Count;

    public int Dimension => split.Dimension;

    public int MaxChunkRows => Math.Min(split.ChunkRows, split.Count);

    public void ForEach(Action<float[], int, int> body)
    {
        split.CountPass();
        int d = Dimension, chunkRows = MaxChunkRows;
        using var free = new BlockingCollection<float[]>();
        using var full = new BlockingCollection<(float[] Buffer, int FirstRow, int Rows)>(Buffers);
        for (int i = 0; i < Buffers; i++) free.Add(GC.AllocateUninitializedArray<float>(chunkRows * d));
        using var cancel = new CancellationTokenSource();
        var producer = Task.Factory.StartNew(() => Produce(free, full, chunkRows, cancel.Token),
            cancel.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var (buffer, firstRow, rows) in full.GetConsumingEnumerable())
            {
                body(buffer, firstRow, rows);
                free.Add(buffer);
            }
        }
        catch
        {
            cancel.Cancel();
            try { producer.Wait(); } catch (AggregateException) { /* the consumer's own error is the one to report */ }
            throw;
        }
        try
        {
            producer.Wait();
        }
        catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
        }
    }

    private void Produce(BlockingCollection<float[]> free, BlockingCollection<(float[], int, int)> full, int chunkRows, CancellationToken token)
    {
        var dataset = split.Dataset;
        var readers = new ConcurrentDictionary<int, ParquetFileReader>();
        try
        {
            int firstRow = 0;
            var options = new ParallelOptions { MaxDegreeOfParallelism = context.DegreeOfParallelism, CancellationToken = token };
            foreach (var pieces in Plan(split.Selection, chunkRows))
            {
                var buffer = free.Take(token);
                // The chunk's row groups are decoded side by side (a part's reader serves concurrent row-group reads);
                // each lands at its own offset, so the chunk is the same whatever the schedule.
                try
                {
                    Parallel.ForEach(pieces, options, piece => Read(piece, buffer, readers));
                }
                catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count >= 1)
                {
                    // The first bad row or file, with its own type and message.
                    ExceptionDispatchInfo.Capture(aggregate.InnerExceptions[0]).Throw();
                }
                int rows = pieces[^1].Destination + pieces[^1].Count;
                preprocessing.TransformRows(buffer, buffer, rows, Dimension, context);
                full.Add((buffer, firstRow, rows), token);
                firstRow += rows;
                // Parts before the next chunk's first are done with.
                int nextPart = dataset.Groups[pieces[^1].Group.Entry].Part;
                foreach (var part in readers.Keys.Where(p => p < nextPart).ToArray())
                    if (readers.TryRemove(part, out var done)) done.Dispose();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped (its own error is reported); nothing more to read.
        }
        finally
        {
            foreach (var reader in readers.Values) reader.Dispose();
            full.CompleteAdding();
        }
    }

    /// <summary>The rows [<see cref="From"/>, From + Count) of a selected row group, going to chunk row <see cref="Destination"/>.</summary>
    private readonly record struct Piece(SelectedGroup Group, int From, int Count, int Destination);

    /// <summary>Cuts the selection into chunks of <paramref name="chunkRows"/> rows; a row group may straddle two chunks.</summary>
    private static IEnumerable<Piece[]> Plan(RowSelection selection, int chunkRows)
    {
        var pieces = new List<Piece>();
        int filled = 0;
        foreach (var group in selection.Groups)
        {
            for (int from = 0; from < group.Count;)
            {
                int take = Math.Min(chunkRows - filled, group.Count - from);
                pieces.Add(new Piece(group, from, take, filled));
                filled += take;
                from += take;
                if (filled < chunkRows) continue;
                yield return pieces.ToArray();
                pieces.Clear();
                filled = 0;
            }
        }
        if (pieces.Count > 0) yield return pieces.ToArray();
    }

    private void Read(Piece piece, float[] buffer, ConcurrentDictionary<int, ParquetFileReader> readers)
    {
        var dataset = split.Dataset;
        var entry = dataset.Groups[piece.Group.Entry];
        var reader = readers.GetOrAdd(entry.Part, part => ParquetFileReader.Open(dataset.Parts[part], dataset.ReaderOptions));
        var rowGroup = reader.OpenRowGroup(entry.RowGroup);
        int d = Dimension;
        var destination = buffer.AsSpan(piece.Destination * d, piece.Count * d);
        if (piece.From == 0 && piece.Count == piece.Group.Count)
        {
            dataset.ReadEmbeddings(rowGroup, piece.Group, destination);
        }
        else
        {
            // A row group split between two chunks is decoded for each of them (at most two per chunk).
            var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(piece.Group.Count * d);
            try
            {
                dataset.ReadEmbeddings(rowGroup, piece.Group, scratch.AsSpan(0, piece.Group.Count * d));
                scratch.AsSpan(piece.From * d, piece.Count * d).CopyTo(destination);
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(scratch);
            }
        }
        split.CheckFinite(destination, piece.Group, piece.From);
    }
}
