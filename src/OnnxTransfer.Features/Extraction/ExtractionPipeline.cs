using System.Collections.Concurrent;
using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// Runs an image backbone over inputs into an embedding cache: decoding on several threads straight into reused batch
/// tensors, inference on the calling thread into preallocated outputs, Parquet writing on its own thread — the three
/// overlap. Rows are written in id order whatever thread finishes first, so the same inputs give the same parts; inputs
/// already in the cache are skipped, so a rerun continues an interrupted one; a bad input becomes an error row and the
/// run goes on.
/// </summary>
public sealed class ExtractionPipeline
{
    private readonly ImageBackbone _backbone;
    private readonly ExtractionOptions _options;

    public ExtractionPipeline(ImageBackbone backbone, ExtractionOptions? options = null)
    {
        _backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        _options = options ?? new ExtractionOptions();
        _options.Validate();
    }

    /// <summary>The manifest a new cache for this backbone gets.</summary>
    public static CacheManifest ManifestFor(ImageBackbone backbone) => new()
    {
        Fingerprint = backbone.Fingerprint,
        BackboneName = backbone.Spec.Name,
        FeatureTensor = backbone.FeatureTensor,
        ModelPath = backbone.ModelPath,
        CreatedBy = CacheManifest.ToolVersion,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>
    /// Extracts every input of <paramref name="inputs"/> that <paramref name="cache"/> does not hold yet.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; every part completed before stays valid, a rerun continues.</exception>
    public ExtractionSummary Run(InputSet inputs, EmbeddingCache cache, IProgress<ExtractionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(cache);
        if (!cache.IsWritable) throw new ArgumentException("Open the cache with EmbeddingCache.OpenForWriting.", nameof(cache));
        if (!cache.Fingerprint.Equals(_backbone.Fingerprint))
            throw new CacheFingerprintMismatchException(cache.Directory, cache.Fingerprint, _backbone.Fingerprint);

        var clock = Stopwatch.StartNew();
        var retried = 0;
        if (_options.RetryErrors)
        {
            var wanted = new HashSet<string>(inputs.Items.Select(i => i.Id), StringComparer.Ordinal);
            retried = cache.RemoveErrorRows(wanted);
        }
        var done = cache.ReadCompletedIds();
        var pending = new List<InputItem>(inputs.Count);
        foreach (var item in inputs.Items)
            if (!done.Contains(item.Id)) pending.Add(item);
        var alreadyCached = inputs.Count - pending.Count;
        var deferred = 0;
        if (_options.Limit is { } limit && pending.Count > limit)
        {
            deferred = pending.Count - limit;
            pending.RemoveRange(limit, deferred);
        }

        var run = new RunState(_backbone, _options, cache, pending, progress, clock);
        run.Execute(cancellationToken);
        return new ExtractionSummary
        {
            Inputs = inputs.Count,
            AlreadyCached = alreadyCached,
            Deferred = deferred,
            Retried = retried,
            Embedded = run.Embedded,
            Failed = run.Failed,
            ErrorsByReason = run.ErrorsByReason,
            Elapsed = clock.Elapsed,
            DecodeTime = Stopwatch.GetElapsedTime(0, run.DecodeTicks),
            InferenceTime = Stopwatch.GetElapsedTime(0, run.InferenceTicks),
            InferenceWaitTime = Stopwatch.GetElapsedTime(0, run.WaitTicks),
            WriteTime = Stopwatch.GetElapsedTime(0, run.WriteTicks),
            PartsWritten = run.PartsWritten,
            ErrorPartsWritten = run.ErrorPartsWritten,
            BatchSize = run.BatchSize,
            DecodeThreads = _options.EffectiveDecodeThreads,
            Providers = _backbone.ActiveProviders,
            CacheDirectory = cache.Directory,
            FingerprintSha256 = cache.Fingerprint.Sha256,
        };
    }

    /// <summary>The state of one run: the three stages and their shared counters.</summary>
    private sealed class RunState(ImageBackbone backbone, ExtractionOptions options, EmbeddingCache cache, List<InputItem> items,
        IProgress<ExtractionProgress>? progress, Stopwatch clock)
    {
        private readonly BlockingCollection<int> _written = new();
        private readonly SortedDictionary<string, int> _reasons = new(StringComparer.Ordinal);
        private BatchSlot[] _slots = [];
        private int _next;
        private long _decodeTicks;
        private Exception? _failure;
        private CancellationTokenSource _stop = new();

        public int BatchSize { get; } = backbone.FixedBatchSize ?? Math.Max(1, Math.Min(options.BatchSize, Math.Max(1, items.Count)));
        public int Embedded { get; private set; }
        public int Failed { get; private set; }
        public int PartsWritten { get; private set; }
        public int ErrorPartsWritten { get; private set; }
        public long DecodeTicks => Interlocked.Read(ref _decodeTicks);
        public long InferenceTicks { get; private set; }
        public long WaitTicks { get; private set; }
        public long WriteTicks { get; private set; }
        public IReadOnlyDictionary<string, int> ErrorsByReason => _reasons;

        private int BatchCount => (items.Count + BatchSize - 1) / BatchSize;

        private int CountOf(int batch) => Math.Min(BatchSize, items.Count - batch * BatchSize);

        public void Execute(CancellationToken cancellationToken)
        {
            if (items.Count == 0)
            {
                progress?.Report(new ExtractionProgress(0, 0, 0, 0, clock.Elapsed));
                return;
            }
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var token = _stop.Token;
            var slotCount = Math.Min(options.BatchesInFlight, BatchCount);
            _slots = new BatchSlot[slotCount];
            try
            {
                for (var s = 0; s < slotCount; s++)
                {
                    _slots[s] = new BatchSlot(backbone.CreateBatch(BatchSize), backbone.Dimension);
                    _slots[s].Assign(s, CountOf(s));
                }
                var decoders = new Thread[Math.Min(options.EffectiveDecodeThreads, items.Count)];
                for (var t = 0; t < decoders.Length; t++)
                {
                    decoders[t] = new Thread(() => Guarded(() => Decode(token))) { IsBackground = true, Name = $"onnxtransfer-decode-{t}" };
                    decoders[t].Start();
                }
                var writer = new Thread(() => Guarded(() => Write(token))) { IsBackground = true, Name = "onnxtransfer-write" };
                writer.Start();

                Guarded(() => Infer(token));
                _written.CompleteAdding();
                writer.Join();
                foreach (var decoder in decoders) decoder.Join();
            }
            finally
            {
                foreach (var slot in _slots) slot?.Dispose();
                _stop.Dispose();
                _written.Dispose();
            }
            if (_failure is not null)
            {
                if (_failure is OperationCanceledException && cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
            }
            cancellationToken.ThrowIfCancellationRequested();
        }

        /// <summary>Runs a stage; the first failure anywhere stops every stage.</summary>
        private void Guarded(Action stage)
        {
            try { stage(); }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                try { _stop.Cancel(); } catch (ObjectDisposedException) { }
                _written.CompleteAdding();
            }
        }

        private void Decode(CancellationToken token)
        {
            while (true)
            {
                var i = Interlocked.Increment(ref _next) - 1;
                if (i >= items.Count || token.IsCancellationRequested) return;
                var batch = i / BatchSize;
                var slot = _slots[batch % _slots.Length];
                slot.WaitAssigned(batch, token);
                var position = i - batch * BatchSize;
                var item = items[i];
                var start = Stopwatch.GetTimestamp();
                slot.Errors[position] = Prepare(item, slot.Batch.ImageSlot(position));
                Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - start);
                slot.CompleteOne();
            }
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

        private void Infer(CancellationToken token)
        {
            for (var batch = 0; batch < BatchCount; batch++)
            {
                var slot = _slots[batch % _slots.Length];
                var waitStart = Stopwatch.GetTimestamp();
                slot.WaitReady(batch, token);
                var start = Stopwatch.GetTimestamp();
                WaitTicks += start - waitStart;
                if (Array.IndexOf(slot.Errors, null, 0, slot.Count) >= 0) // at least one input decoded
                    backbone.Embed(slot.Batch, slot.Count, slot.Embeddings, token);
                InferenceTicks += Stopwatch.GetTimestamp() - start;
                _written.Add(batch, token);
            }
            _written.CompleteAdding();
        }

        private void Write(CancellationToken token)
        {
            var providers = backbone.ActiveProviders;
            var dimension = backbone.Dimension;
            var partIndex = cache.NextPartIndex();
            var errors = new List<ErrorRow>();
            var rowGroup = new RowGroupBuffer(Math.Min(options.RowsPerRowGroup, Math.Min(options.RowsPerPart, items.Count)), dimension);
            EmbeddingPartWriter? part = null;
            var committed = 0;
            var uncommitted = 0;
            var stopped = false;
            try
            {
                try
                {
                    foreach (var batch in _written.GetConsumingEnumerable(token))
                    {
                        var start = Stopwatch.GetTimestamp();
                        var slot = _slots[batch % _slots.Length];
                        var first = batch * BatchSize;
                        for (var j = 0; j < slot.Count; j++)
                        {
                            uncommitted++;
                            if (slot.Errors[j] is { } error)
                            {
                                errors.Add(error);
                                Failed++;
                                _reasons[error.Reason] = _reasons.GetValueOrDefault(error.Reason) + 1;
                                continue;
                            }
                            var item = items[first + j];
                            part ??= cache.BeginPart(partIndex, rowGroup, providers);
                            part.Append(item.Id, item.Source, item.Label, item.Split, slot.Embeddings.AsSpan(j * dimension, dimension));
                            Embedded++;
                            if (part.RowCount == options.RowsPerPart)
                            {
                                Commit(ref part, errors, ref partIndex);
                                committed += uncommitted;
                                uncommitted = 0;
                            }
                        }
                        var next = batch + _slots.Length;
                        if (next < BatchCount) slot.Assign(next, CountOf(next));
                        else slot.Retire();
                        WriteTicks += Stopwatch.GetTimestamp() - start;
                        progress?.Report(new ExtractionProgress(items.Count, Embedded, Failed, committed, clock.Elapsed));
                    }
                }
                catch (OperationCanceledException)
                {
                    stopped = true; // cancelled, or another stage failed: the rows taken so far are complete
                }
                // Whether the run finished or was stopped, every row appended so far is whole: commit them, so an
                // interrupted run (Ctrl-C) keeps its work. Only a kill loses the part in progress.
                var commitStart = Stopwatch.GetTimestamp();
                Commit(ref part, errors, ref partIndex);
                committed += uncommitted;
                WriteTicks += Stopwatch.GetTimestamp() - commitStart;
                progress?.Report(new ExtractionProgress(items.Count, Embedded, Failed, committed, clock.Elapsed));
                if (stopped) token.ThrowIfCancellationRequested();
            }
            finally
            {
                part?.Dispose(); // a part that could not be committed is abandoned: its temporary file is deleted
            }
        }

        /// <summary>Commits the error rows, then the embedding part, under one part index.</summary>
        private void Commit(ref EmbeddingPartWriter? part, List<ErrorRow> errors, ref int partIndex)
        {
            if (part is null && errors.Count == 0) return;
            if (errors.Count > 0)
            {
                cache.WriteErrorPart(partIndex, errors);
                ErrorPartsWritten++;
                errors.Clear();
            }
            if (part is not null)
            {
                part.Commit();
                part.Dispose();
                part = null;
                PartsWritten++;
            }
            partIndex++;
        }
    }
}
