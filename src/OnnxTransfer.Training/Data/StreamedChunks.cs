using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using OnnxTransfer.Parquet;
using OnnxTransfer.Training.Compute;

namespace OnnxTransfer.Training.Data;

/// <summary>
/// One pass over a streamed split: a reader thread fills chunk buffers from the row groups in dataset order (rows of
/// a row group that does not fit the current chunk continue in the next), checks that every value is finite, applies
/// the preprocessing, and hands full chunks over; the caller computes on one chunk while the next is read. Two chunk
/// buffers circulate, so memory stays at two chunks plus one row group whatever the size of the split.
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
        try
        {
            var dataset = split.Dataset;
            int d = Dimension, filled = 0, firstRow = 0;
            float[]? scratch = null;
            var buffer = free.Take(token);
            ParquetFileReader? reader = null;
            try
            {
                foreach (var group in split.Selection.Groups)
                {
                    token.ThrowIfCancellationRequested();
                    var entry = dataset.Groups[group.Entry];
                    if (reader is null || reader.Path != dataset.Parts[entry.Part])
                    {
                        reader?.Dispose();
                        reader = ParquetFileReader.Open(dataset.Parts[entry.Part], dataset.ReaderOptions);
                    }
                    var rowGroup = reader.OpenRowGroup(entry.RowGroup);
                    if (filled + group.Count <= chunkRows)
                    {
                        // The common case: the group's rows go straight into place.
                        dataset.ReadEmbeddings(rowGroup, group, buffer.AsSpan(filled * d, group.Count * d));
                        split.CheckFinite(buffer.AsSpan(filled * d, group.Count * d), group);
                        filled += group.Count;
                    }
                    else
                    {
                        if (scratch is null || scratch.Length < group.Count * d) scratch = GC.AllocateUninitializedArray<float>(group.Count * d);
                        dataset.ReadEmbeddings(rowGroup, group, scratch.AsSpan(0, group.Count * d));
                        split.CheckFinite(scratch.AsSpan(0, group.Count * d), group);
                        for (int taken = 0; taken < group.Count;)
                        {
                            int take = Math.Min(chunkRows - filled, group.Count - taken);
                            scratch.AsSpan(taken * d, take * d).CopyTo(buffer.AsSpan(filled * d));
                            filled += take;
                            taken += take;
                            if (filled < chunkRows) continue;
                            Hand(buffer, firstRow, filled);
                            firstRow += filled;
                            filled = 0;
                            buffer = free.Take(token);
                        }
                    }
                    if (filled == chunkRows)
                    {
                        Hand(buffer, firstRow, filled);
                        firstRow += filled;
                        filled = 0;
                        buffer = free.Take(token);
                    }
                }
                if (filled > 0) Hand(buffer, firstRow, filled);
            }
            finally
            {
                reader?.Dispose();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped (its own error is reported); nothing more to read.
        }
        finally
        {
            full.CompleteAdding();
        }

        void Hand(float[] chunk, int first, int rows)
        {
            preprocessing.TransformRows(chunk, chunk, rows, Dimension, context);
            full.Add((chunk, first, rows), token);
        }
    }
}
