using System.Collections.Concurrent;
using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One extraction run of a text backbone, with the image pipeline's three overlapping stages: tokenising threads,
/// inference on the calling thread, Parquet writing on its own thread. The unit is a window of consecutive inputs (in
/// id order): its texts are tokenised, sorted by token count and cut into batches of similar length
/// (<see cref="LengthBucketingBatcher"/>), each padded only to its longest text; the embeddings go back to their rows
/// and the window is written in id order.
/// </summary>
/// <remarks>
/// Batches are planned over a window's inputs whether or not the cache has them already, and a batch is padded to its
/// planned length even when some of its rows are skipped: a row is computed with the same padded length in a resumed
/// run as in an uninterrupted one, so a kill and a rerun give the same bytes (ONNX Runtime's per-row results do not
/// depend on how many rows a batch has). Windows without rows to compute are not even tokenised.
/// </remarks>
internal sealed class TextExtractionRun : IExtractionRun
{
    private readonly TextBackbone _backbone;
    private readonly ExtractionOptions _options;
    private readonly IReadOnlyList<InputItem> _items;
    private readonly bool[] _scheduled;
    private readonly int _scheduledCount;
    private readonly IProgress<ExtractionProgress>? _progress;
    private readonly Stopwatch _clock;
    private readonly int _window;
    private readonly int[] _windows; // indices of the windows with at least one row to compute
    private readonly CachePartSequence _parts;
    private readonly BlockingCollection<int> _written = new();
    private TextWindowSlot[] _slots = [];
    private int _next;
    private long _decodeTicks;
    private int _truncated;
    private int _inferred;
    private int _failedSoFar;
    private Exception? _failure;
    private CancellationTokenSource _stop = new();

    public TextExtractionRun(TextBackbone backbone, ExtractionOptions options, EmbeddingCache cache, IReadOnlyList<InputItem> items,
        bool[] scheduled, int scheduledCount, IProgress<ExtractionProgress>? progress, Stopwatch clock)
    {
        _backbone = backbone;
        _options = options;
        _items = items;
        _scheduled = scheduled;
        _scheduledCount = scheduledCount;
        _progress = progress;
        _clock = clock;
        BatchSize = backbone.FixedBatchSize ?? options.BatchSize;
        _window = Math.Max(options.TextWindow ?? 16 * BatchSize, BatchSize);
        var windows = new List<int>();
        for (var w = 0; w * _window < items.Count; w++)
            if (Array.IndexOf(scheduled, true, w * _window, Math.Min(_window, items.Count - w * _window)) >= 0) windows.Add(w);
        _windows = [.. windows];
        _parts = new CachePartSequence(cache, backbone.ActiveProviders, backbone.Numerics, options, scheduledCount, backbone.Dimension);
    }

    public int BatchSize { get; }
    public int Embedded => _parts.Embedded;
    public int Failed => _parts.Failed;
    public int PartsWritten => _parts.PartsWritten;
    public int ErrorPartsWritten => _parts.ErrorPartsWritten;
    public int Truncated => Volatile.Read(ref _truncated);
    public long DecodeTicks => Interlocked.Read(ref _decodeTicks);
    public long InferenceTicks { get; private set; }
    public long WaitTicks { get; private set; }
    public long WriteTicks { get; private set; }
    public IReadOnlyDictionary<string, int> ErrorsByReason => _parts.ErrorsByReason;

    /// <summary>Inputs in window <paramref name="unit"/> (an index into <see cref="_windows"/>).</summary>
    private int CountOf(int unit) => Math.Min(_window, _items.Count - _windows[unit] * _window);

    public void Execute(CancellationToken cancellationToken)
    {
        if (_windows.Length == 0)
        {
            _progress?.Report(new ExtractionProgress(0, 0, 0, 0, _clock.Elapsed));
            return;
        }
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = _stop.Token;
        var slotCount = Math.Min(_options.BatchesInFlight, _windows.Length);
        _slots = new TextWindowSlot[slotCount];
        try
        {
            for (var s = 0; s < slotCount; s++)
            {
                _slots[s] = new TextWindowSlot(_window, _backbone.Dimension);
                Assign(s);
            }
            var rows = 0;
            foreach (var w in _windows) rows += Math.Min(_window, _items.Count - w * _window);
            var tokenizers = new Thread[Math.Min(_options.EffectiveDecodeThreads, rows)];
            for (var t = 0; t < tokenizers.Length; t++)
            {
                tokenizers[t] = new Thread(() => Guarded(() => Tokenize(token))) { IsBackground = true, Name = $"onnxtransfer-tokenize-{t}" };
                tokenizers[t].Start();
            }
            var writer = new Thread(() => Guarded(Write)) { IsBackground = true, Name = "onnxtransfer-write" };
            writer.Start();

            Guarded(() => Infer(token));
            _written.CompleteAdding();
            writer.Join();
            foreach (var tokenizer in tokenizers) tokenizer.Join();
        }
        finally
        {
            _parts.Dispose(); // a part that could not be committed is abandoned: its temporary file is deleted
            _stop.Dispose();
            _written.Dispose();
        }
        _progress?.Report(new ExtractionProgress(_scheduledCount, Embedded, Failed, _parts.Committed, _clock.Elapsed));
        if (_failure is not null)
        {
            if (_failure is OperationCanceledException && cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void Assign(int unit)
    {
        var slot = _slots[unit % _slots.Length];
        slot.Start = _windows[unit] * _window;
        slot.Assign(unit, CountOf(unit));
    }

    /// <summary>Runs a stage; the first failure anywhere stops every stage.</summary>
    private void Guarded(Action stage)
    {
        try { stage(); }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Tokenising threads: take the next input position of the windows in order and tokenise it into its slot.</summary>
    private void Tokenize(CancellationToken token)
    {
        // Every window but the last of all inputs is full, so position i is window i / W, offset i mod W.
        var total = 0L;
        foreach (var w in _windows) total += Math.Min(_window, _items.Count - w * _window);
        while (true)
        {
            var i = Interlocked.Increment(ref _next) - 1;
            if (i >= total || token.IsCancellationRequested) return;
            var unit = i / _window;
            var position = i - unit * _window;
            var slot = _slots[unit % _slots.Length];
            slot.WaitAssigned(unit, token);
            var start = Stopwatch.GetTimestamp();
            var index = slot.Start + position;
            var item = _items[index];
            var scheduled = _scheduled[index];
            if (item.Failure is { } failure)
            {
                if (scheduled) slot.Errors[position] = Error(item, failure.Code, failure.Message);
            }
            else if (item.Text is null)
            {
                throw new InvalidOperationException($"Input '{item.Id}' has no text: a text backbone reads inputs from TextInputFiles.Open.");
            }
            else
            {
                var encoded = _backbone.Encode(item.Text);
                if (encoded.Encoding is { } encoding)
                {
                    slot.Encodings[position] = encoding;
                    if (scheduled && encoding.IsTruncated) Interlocked.Increment(ref _truncated);
                }
                else if (scheduled)
                {
                    slot.Errors[position] = Error(item, encoded.ErrorCode ?? "encode-failed", $"{item.Source}: {encoded.Error}");
                }
            }
            Interlocked.Add(ref _decodeTicks, Stopwatch.GetTimestamp() - start);
            slot.CompleteOne();
        }
    }

    private static ErrorRow Error(InputItem item, string reason, string message) => new(item.Id, item.Source, item.Label, item.Split, reason, message);

    private void Infer(CancellationToken token)
    {
        var batch = _backbone.CreateBatch(BatchSize);
        var dimension = _backbone.Dimension;
        var pooled = new float[batch.Capacity * dimension];
        var batcher = new LengthBucketingBatcher(batch.Capacity);
        var rows = new List<int>(batch.Capacity);
        var positions = new List<int>(_window);
        var lengths = new List<int>(_window);
        for (var unit = 0; unit < _windows.Length; unit++)
        {
            var slot = _slots[unit % _slots.Length];
            var waitStart = Stopwatch.GetTimestamp();
            slot.WaitReady(unit, token);
            var start = Stopwatch.GetTimestamp();
            WaitTicks += start - waitStart;
            try
            {
                positions.Clear();
                lengths.Clear();
                for (var p = 0; p < slot.Count; p++)
                {
                    if (slot.Errors[p] is not null) _failedSoFar++;
                    if (slot.Encodings[p] is not { } encoding) continue;
                    positions.Add(p);
                    lengths.Add(encoding.Length);
                }
                var encodings = (IReadOnlyList<TokenEncoding>)slot.Encodings!; // only positions with tokens are read
                foreach (var planned in Plan(batcher, lengths))
                {
                    rows.Clear();
                    var length = 0;
                    foreach (var k in planned)
                    {
                        var p = positions[k];
                        length = Math.Max(length, lengths[k]);
                        if (_scheduled[slot.Start + p]) rows.Add(p);
                    }
                    if (rows.Count == 0) continue;
                    var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows);
                    _backbone.Embed(batch, encodings, span, pooled, length, token);
                    for (var r = 0; r < span.Length; r++)
                    {
                        pooled.AsSpan(r * dimension, dimension).CopyTo(slot.Embeddings.AsSpan(span[r] * dimension, dimension));
                        slot.Computed[span[r]] = true;
                    }
                    _inferred += span.Length;
                    _progress?.Report(new ExtractionProgress(_scheduledCount, _inferred, _failedSoFar, _parts.Committed, _clock.Elapsed));
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped inside a window: the rows computed so far are whole; the writer commits them.
                _written.Add(unit, CancellationToken.None);
                throw;
            }
            finally
            {
                InferenceTicks += Stopwatch.GetTimestamp() - start;
            }
            _written.Add(unit, CancellationToken.None);
        }
        _written.CompleteAdding();
    }

    /// <summary>
    /// Length-bucketed batches over the window's tokenised rows (indices into <paramref name="lengths"/>); a model
    /// without attention mask gets batches of equal lengths only.
    /// </summary>
    private IEnumerable<int[]> Plan(LengthBucketingBatcher batcher, List<int> lengths)
    {
        foreach (var planned in batcher.Plan(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lengths)))
        {
            if (!_backbone.NeedsEqualLengths)
            {
                yield return planned;
                continue;
            }
            var from = 0;
            for (var k = 1; k <= planned.Length; k++)
            {
                if (k < planned.Length && lengths[planned[k]] == lengths[planned[from]]) continue;
                yield return planned[from..k];
                from = k;
            }
        }
    }

    /// <summary>
    /// The writer: windows in order, rows in id order. It takes every window handed over, even after a stop, so the
    /// rows computed before an interruption are committed.
    /// </summary>
    private void Write()
    {
        var dimension = _backbone.Dimension;
        foreach (var unit in _written.GetConsumingEnumerable())
        {
            var start = Stopwatch.GetTimestamp();
            var slot = _slots[unit % _slots.Length];
            for (var p = 0; p < slot.Count; p++)
            {
                var index = slot.Start + p;
                if (!_scheduled[index]) continue;
                if (slot.Errors[p] is { } error) _parts.AddError(error);
                else if (slot.Computed[p]) _parts.AddEmbedding(_items[index], slot.Embeddings.AsSpan(p * dimension, dimension));
            }
            var next = unit + _slots.Length;
            if (next < _windows.Length && !_stop.IsCancellationRequested) Assign(next);
            else slot.Retire();
            WriteTicks += Stopwatch.GetTimestamp() - start;
        }
        var commitStart = Stopwatch.GetTimestamp();
        _parts.CommitPending();
        WriteTicks += Stopwatch.GetTimestamp() - commitStart;
    }
}
