using System.Collections.Concurrent;
using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Formats;
using OnnxTransfer.Imaging;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// Runs a backbone over inputs into an embedding cache: decoding (or tokenising) on several threads straight into
/// reused buffers, inference on the calling thread into preallocated outputs, Parquet writing on its own thread — the
/// three overlap. Rows are written in id order whatever thread finishes first, so the same inputs give the same parts;
/// inputs already in the cache are skipped, so a rerun continues an interrupted one; a bad input becomes an error row
/// and the run goes on. Image backbones run batches of consecutive inputs; text backbones run windows of consecutive
/// inputs cut into length-bucketed batches (<see cref="TextExtractionRun"/>).
/// </summary>
public sealed class ExtractionPipeline
{
    private readonly ImageBackbone? _image;
    private readonly TextBackbone? _text;
    private readonly ExtractionOptions _options;

    public ExtractionPipeline(ImageBackbone backbone, ExtractionOptions? options = null)
    {
        _image = backbone ?? throw new ArgumentNullException(nameof(backbone));
        _options = options ?? new ExtractionOptions();
        _options.Validate();
    }

    /// <summary>A pipeline for a text encoder; its inputs come from <see cref="TextInputFiles.Open"/>.</summary>
    public ExtractionPipeline(TextBackbone backbone, ExtractionOptions? options = null)
    {
        _text = backbone ?? throw new ArgumentNullException(nameof(backbone));
        _options = options ?? new ExtractionOptions();
        _options.Validate();
    }

    private BackboneFingerprint Fingerprint => _image?.Fingerprint ?? _text!.Fingerprint;

    private EmbeddingNumerics Numerics => _image?.Numerics ?? _text!.Numerics;

    /// <summary>The manifest a new cache for this backbone gets.</summary>
    public static CacheManifest ManifestFor(ImageBackbone backbone) =>
        NewManifest(backbone.Fingerprint, backbone.Spec.Name, backbone.FeatureTensor, backbone.ModelPath, backbone.Numerics);

    /// <summary>The manifest a new cache for this text backbone gets.</summary>
    public static CacheManifest ManifestFor(TextBackbone backbone) =>
        NewManifest(backbone.Fingerprint, backbone.Spec.Name, backbone.FeatureTensor, backbone.ModelPath, backbone.Numerics);

    private static CacheManifest NewManifest(BackboneFingerprint fingerprint, string name, string featureTensor, string modelPath, EmbeddingNumerics numerics) => new()
    {
        Numerics = [numerics],
        Fingerprint = fingerprint,
        BackboneName = name,
        FeatureTensor = featureTensor,
        ModelPath = modelPath,
        CreatedBy = CacheManifest.ToolVersion,
        PartChecksums = true,
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
        if (!cache.Fingerprint.Equals(Fingerprint))
            throw new CacheFingerprintMismatchException(cache.Directory, cache.Fingerprint, Fingerprint);
        if (!cache.Manifest.Holds(Numerics))
            throw new CacheNumericsMismatchException(cache.Directory, cache.Manifest.Numerics, Numerics);
        if (_text is not null && inputs.Layout != FolderLayout.TextFile)
            throw new ArgumentException($"A text backbone embeds texts: read them with TextInputFiles.Open, not '{inputs.Source}' as {inputs.Layout}.", nameof(inputs));
        if (_image is not null && inputs.Layout == FolderLayout.TextFile)
            throw new ArgumentException($"An image backbone embeds images, but '{inputs.Source}' holds texts: use a text backbone.", nameof(inputs));

        var clock = Stopwatch.StartNew();
        var retried = 0;
        if (_options.RetryErrors)
        {
            var wanted = new HashSet<string>(inputs.Items.Select(i => i.Id), StringComparer.Ordinal);
            retried = cache.RemoveErrorRows(wanted);
        }
        var done = cache.ReadCompletedIds();
        var pending = new List<InputItem>(inputs.Count);
        var scheduled = new bool[inputs.Count]; // by input index: to be computed in this run
        var shardInputs = 0; // the inputs of this run's shard (all of them unsharded)
        for (var i = 0; i < inputs.Count; i++)
        {
            if (!cache.Shard.Contains(inputs.Items[i].Id)) continue;
            shardInputs++;
            if (done.Contains(inputs.Items[i].Id)) continue;
            pending.Add(inputs.Items[i]);
            scheduled[i] = true;
        }
        var alreadyCached = shardInputs - pending.Count;
        var deferred = 0;
        if (_options.Limit is { } limit && pending.Count > limit)
        {
            deferred = pending.Count - limit;
            pending.RemoveRange(limit, deferred);
            var keep = limit;
            for (var i = 0; i < scheduled.Length; i++)
                if (scheduled[i] && keep-- <= 0) scheduled[i] = false;
        }

        IExtractionRun run = _text is not null
            ? new TextExtractionRun(_text, _options, cache, inputs.Items, scheduled, pending.Count, progress, clock)
            : new RunState(_image!, _options, cache, pending, progress, clock);
        // Honest state: until this run ends with every input of its shard done, the cache says it is incomplete.
        CacheCompletion.MarkStarted(cache, shardInputs, alreadyCached);
        run.Execute(cancellationToken);
        if (deferred == 0) CacheCompletion.MarkComplete(cache, shardInputs, alreadyCached + run.Embedded + run.Failed);
        return new ExtractionSummary
        {
            Inputs = shardInputs,
            AlreadyCached = alreadyCached,
            Deferred = deferred,
            Retried = retried,
            Embedded = run.Embedded,
            Failed = run.Failed,
            Truncated = run.Truncated,
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
            Providers = _image?.ActiveProviders ?? _text!.ActiveProviders,
            Numerics = Numerics,
            CacheDirectory = cache.Directory,
            FingerprintSha256 = cache.Fingerprint.Sha256,
        };
    }

    /// <summary>The state of one run: the three stages and their shared counters.</summary>
    private sealed class RunState(ImageBackbone backbone, ExtractionOptions options, EmbeddingCache cache, List<InputItem> items,
        IProgress<ExtractionProgress>? progress, Stopwatch clock) : IExtractionRun
    {
        private readonly BlockingCollection<int> _written = new();
        private readonly CachePartSequence _parts = new(cache, backbone.ActiveProviders, backbone.Numerics, options, items.Count, backbone.Dimension);
        private BatchSlot[] _slots = [];
        private int _next;
        private long _decodeTicks;
        private Exception? _failure;
        private CancellationTokenSource _stop = new();

        public int BatchSize { get; } = backbone.FixedBatchSize ?? Math.Max(1, Math.Min(options.BatchSize, Math.Max(1, items.Count)));
        public int Embedded => _parts.Embedded;
        public int Failed => _parts.Failed;
        public int PartsWritten => _parts.PartsWritten;
        public int ErrorPartsWritten => _parts.ErrorPartsWritten;
        public int Truncated => 0;
        public long DecodeTicks => Interlocked.Read(ref _decodeTicks);
        public long InferenceTicks { get; private set; }
        public long WaitTicks { get; private set; }
        public long WriteTicks { get; private set; }
        public IReadOnlyDictionary<string, int> ErrorsByReason => _parts.ErrorsByReason;

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
                            if (slot.Errors[j] is { } error) _parts.AddError(error);
                            else _parts.AddEmbedding(items[first + j], slot.Embeddings.AsSpan(j * backbone.Dimension, backbone.Dimension));
                        }
                        var next = batch + _slots.Length;
                        if (next < BatchCount) slot.Assign(next, CountOf(next));
                        else slot.Retire();
                        WriteTicks += Stopwatch.GetTimestamp() - start;
                        progress?.Report(new ExtractionProgress(items.Count, Embedded, Failed, _parts.Committed, clock.Elapsed));
                    }
                }
                catch (OperationCanceledException)
                {
                    stopped = true; // cancelled, or another stage failed: the rows taken so far are complete
                }
                // Whether the run finished or was stopped, every row appended so far is whole: commit them, so an
                // interrupted run (Ctrl-C) keeps its work. Only a kill loses the part in progress.
                var commitStart = Stopwatch.GetTimestamp();
                _parts.CommitPending();
                WriteTicks += Stopwatch.GetTimestamp() - commitStart;
                progress?.Report(new ExtractionProgress(items.Count, Embedded, Failed, _parts.Committed, clock.Elapsed));
                if (stopped) token.ThrowIfCancellationRequested();
            }
            finally
            {
                _parts.Dispose(); // a part that could not be committed is abandoned: its temporary file is deleted
            }
        }
    }
}

/// <summary>What <see cref="ExtractionPipeline.Run"/> needs of one run, image or text.</summary>
internal interface IExtractionRun
{
    void Execute(CancellationToken cancellationToken);
    int BatchSize { get; }
    int Embedded { get; }
    int Failed { get; }
    int Truncated { get; }
    int PartsWritten { get; }
    int ErrorPartsWritten { get; }
    long DecodeTicks { get; }
    long InferenceTicks { get; }
    long WaitTicks { get; }
    long WriteTicks { get; }
    IReadOnlyDictionary<string, int> ErrorsByReason { get; }
}
