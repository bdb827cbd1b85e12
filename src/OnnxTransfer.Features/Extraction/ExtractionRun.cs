using System.Buffers;
using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Numerics;
using OnnxTransfer.Features.Pipeline;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Features.Views;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One extraction run of any backbone through <see cref="BatchPipeline{TBuffer}"/>: a unit is a batch of consecutive
/// inputs (as <see cref="Backbone.BatchingFor"/> says: pending inputs only, or every input with those the cache holds
/// prepared as context), prepared on several threads into the backbone's batch, embedded on the running threads (one,
/// or on CUDA two batches at once: <see cref="RunsInFlight"/>), and written in id order by one thread. A stop inside a unit hands it to the writer with the rows computed so far.
/// With views (<see cref="ViewSlots"/>), a unit is a run of slots instead: an input is decoded once into the slot of
/// its first view in the unit and its other views are written from that tensor into the following slots.
/// </summary>
/// <remarks>
/// With cached neighbours (text), a unit is planned over its inputs whether or not the cache has them already, so a
/// row is computed with the same padded length in a resumed run as in an uninterrupted one and a kill and a rerun give
/// the same bytes (ONNX Runtime's per-row results do not depend on how many rows a batch has). Units without rows to
/// compute are not even prepared.
/// </remarks>
internal sealed class ExtractionRun : IBatchStages<ExtractionRun.Unit>
{
    private readonly Backbone _backbone;
    private readonly ExtractionOptions _options;
    private readonly ExtractionBatching _batching;
    private readonly IReadOnlyList<InputItem> _items; // the inputs units are cut from
    private readonly bool[]? _scheduled; // by index into _items: to be computed in this run (null: all of them)
    private readonly int _pending;
    private readonly ViewSlots? _slots; // with views: what each batch position holds (null: one input per position)
    private readonly ImageViews? _views;
    private readonly int[] _starts; // first input (with views: first slot) of each unit
    private readonly CachePartSequence _parts;
    private readonly IProgress<ExtractionProgress>? _progress;
    private readonly Stopwatch _clock;
    private int _truncated;
    private int _zeroRows;

    /// <param name="scheduled">By input index: whether this run computes it (already cached, other shards' and deferred inputs are not).</param>
    /// <param name="slots">With views (image backbones): the slots of the pending inputs' missing views; null without views.</param>
    public ExtractionRun(Backbone backbone, ExtractionOptions options, EmbeddingCache cache, IReadOnlyList<InputItem> inputs, bool[] scheduled,
        List<InputItem> pending, IProgress<ExtractionProgress>? progress, Stopwatch clock, ViewSlots? slots = null)
    {
        _backbone = backbone;
        _options = options;
        _slots = slots;
        _views = slots is null ? null : new ImageViews((ImageBackbone)backbone);
        var positions = slots?.Count ?? pending.Count; // what the batches hold
        _batching = backbone.BatchingFor(options, positions);
        (_items, _scheduled) = _batching.WithCachedNeighbours ? (inputs, scheduled) : ((IReadOnlyList<InputItem>)pending, null);
        _pending = pending.Count;
        _parts = new CachePartSequence(cache, backbone.ActiveProviders, backbone.Numerics, options, positions, backbone.Dimension);
        _progress = progress;
        _clock = clock;
        var starts = new List<int>();
        for (var start = 0; start < Positions && pending.Count > 0; start += _batching.Positions)
            if (_scheduled is null || Array.IndexOf(_scheduled, true, start, Math.Min(_batching.Positions, _items.Count - start)) >= 0) starts.Add(start);
        _starts = [.. starts];
    }

    public int BatchSize => _batching.BatchSize;

    /// <summary>Batches the backbone runs at once: the options' count, or auto for the providers the session runs on.</summary>
    public int RunsInFlight => Pipeline.RunsInFlight.Resolve(_options.RunsInFlight, _backbone.ActiveProviders);
    public int Embedded => _parts.Embedded;
    public int Failed => _parts.Failed;
    public int Truncated => Volatile.Read(ref _truncated);

    /// <summary>Embeddings that came out all zeros (kept: a model may mean it; at fp16, features below its range underflow).</summary>
    public int ZeroEmbeddings => Volatile.Read(ref _zeroRows);
    public int PartsWritten => _parts.PartsWritten;
    public int ErrorPartsWritten => _parts.ErrorPartsWritten;
    public IReadOnlyDictionary<string, int> ErrorsByReason => _parts.ErrorsByReason;

    /// <summary>Where the run's time went (decode, inference, wait, write).</summary>
    public PipelineTimes Times { get; private set; }

    /// <summary>How long the model's run on a blank batch took before the pipeline started; zero when it did not warm up.</summary>
    public TimeSpan WarmUpTime { get; private set; }

    /// <summary>Rows written to parts: one per input, or with views one per (input, view).</summary>
    public int EmbeddedRows => _parts.EmbeddedRows;

    public int Units => _starts.Length;

    /// <summary>Batch positions over the whole run: inputs, or with views slots.</summary>
    private int Positions => _slots?.Count ?? _items.Count;

    public int PositionsOf(int unit) => Math.Min(_batching.Positions, Positions - _starts[unit]);

    private bool Scheduled(int index) => _scheduled?[index] ?? true;

    /// <exception cref="OperationCanceledException">Cancelled; the complete rows so far are committed.</exception>
    public void Execute(CancellationToken cancellationToken)
    {
        if (_starts.Length == 0)
        {
            _progress?.Report(new ExtractionProgress(0, 0, 0, 0, _clock.Elapsed));
            return;
        }
        var runs = RunsInFlight;
        var units = new Unit[Math.Min(Math.Max(_options.BatchesInFlight, Pipeline.RunsInFlight.BuffersFor(runs)), _starts.Length)];
        try
        {
            for (var s = 0; s < units.Length; s++) units[s] = new Unit(_backbone.RentBatch(_batching), _backbone.Dimension);
            WarmUpTime = ModelWarmUp.Time(_options.WarmUp, _backbone.ActiveProviders, () => _backbone.WarmUp(units[0].Batch, cancellationToken));
            var positions = 0;
            for (var unit = 0; unit < _starts.Length; unit++) positions += PositionsOf(unit);
            Times = BatchPipeline<Unit>.Run(this, units, Math.Min(_options.EffectiveDecodeThreads, positions), runs, cancellationToken);
        }
        finally
        {
            // Every stage's thread is done with them: the backbone keeps them for its next run (one per process: disposed with it).
            _backbone.ReturnBatches(_batching, [.. units.Where(u => u is not null).Select(u => u.Batch)]);
            _parts.Dispose(); // a part that could not be committed is abandoned: its temporary file is deleted
        }
    }

    /// <summary>Preparing threads: one input into its position; an input this run does not compute only shapes the batch.</summary>
    public void Prepare(Unit unit, int index, int position)
    {
        if (_slots is not null)
        {
            PrepareViews(unit, index, position);
            return;
        }
        var at = _starts[index] + position;
        var item = _items[at];
        var failure = _backbone.Prepare(item, unit.Batch, position);
        var scheduled = Scheduled(at);
        unit.Errors[position] = failure is not null && scheduled ? new ErrorRow(item.Id, item.Source, item.Label, item.Split, failure.Code, failure.Message) : null;
        if (!scheduled) unit.Batch.Exclude(position);
        else if (unit.Batch.IsTruncated(position)) Interlocked.Increment(ref _truncated);
    }

    /// <summary>
    /// With views: the position of an input's first slot in the unit decodes it once (into that slot when it is the
    /// original view, else into pooled scratch) and writes every view of it in the unit; its other positions are done then.
    /// </summary>
    private void PrepareViews(Unit unit, int index, int position)
    {
        var slots = _slots!;
        var slot = _starts[index] + position;
        if (position > 0 && slots.ItemOf(slot - 1) == slots.ItemOf(slot)) return;
        var end = slots.SiblingsEnd(slot, _starts[index] + PositionsOf(index));
        var item = _items[slots.ItemOf(slot)];
        var batch = (ImageBatch)unit.Batch;
        var decodedInPlace = slots.ViewOf(slot).Id == InputView.Original.Id;
        var scratch = decodedInPlace ? null : ArrayPool<float>.Shared.Rent(batch.ImageLength);
        try
        {
            var failure = decodedInPlace
                ? _backbone.Prepare(item, batch, position)
                : ((ImageInputReader)_backbone.Reader).Prepare(item, scratch!.AsSpan(0, batch.ImageLength));
            ReadOnlySpan<float> original = decodedInPlace ? batch.ImageSlot(position) : scratch!.AsSpan(0, batch.ImageLength);
            var error = failure is null ? null : new ErrorRow(item.Id, item.Source, item.Label, item.Split, failure.Code, failure.Message);
            for (var p = position; p < position + (end - slot); p++)
            {
                unit.Errors[p] = error;
                if (p == position && decodedInPlace) continue; // Prepare decoded it there and set its state
                if (error is null) _views!.Write(slots.ViewOf(_starts[index] + p), original, batch.ImageSlot(p));
                batch[p] = error is null ? PositionState.Ready : PositionState.Failed;
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The model over a prepared unit, on up to <see cref="RunsInFlight"/> threads at once: it touches only the unit's
    /// own batch and embeddings (the backbone's Embed is thread-safe across batches). Stopped inside it, the rows
    /// computed so far (whole) go to the writer.
    /// </summary>
    public void Run(Unit unit, int index, CancellationToken token)
    {
        var count = PositionsOf(index);
        var any = false;
        for (var p = 0; p < count && !any; p++) any = unit.Errors[p] is null && Scheduled(_starts[index] + p);
        if (!any) return;
        try
        {
            _backbone.Embed(unit.Batch, count, unit.Embeddings, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped inside a unit: the pipeline hands it to the writer with the rows computed so far.
        }
        CheckRows(unit, index, count);
    }

    /// <summary>
    /// Rows no head should learn from never reach the cache: an embedding with NaN or infinity becomes an error row
    /// (<see cref="NonFiniteEmbedding"/>; at fp16 a value beyond ±65504 overflows), and the run goes on. All-zero rows
    /// are counted for the summary. One vectorised pass per row: the largest magnitude is NaN or infinite if any element is.
    /// </summary>
    private void CheckRows(Unit unit, int index, int count)
    {
        var dimension = _backbone.Dimension;
        for (var p = 0; p < count; p++)
        {
            if (unit.Errors[p] is not null || !unit.Batch.IsEmbedded(p) || _slots is null && !Scheduled(_starts[index] + p)) continue;
            var largest = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(unit.Embeddings.AsSpan(p * dimension, dimension));
            if (largest == 0f)
            {
                Interlocked.Increment(ref _zeroRows);
                continue;
            }
            if (float.IsFinite(largest)) continue;
            var hint = _backbone.Numerics.Precision == ComputePrecisionNames.Of(ComputePrecision.Fp16)
                ? " At fp16 a value beyond float16's ±65504 overflows: extract these inputs at fp32 or tf32."
                : " Check the model (and its input) with `onnxtransfer run`.";
            if (_slots is { } slots)
            {
                // A view's row: its input's other views may be written already, so no error row can stand for the input.
                var viewed = _items[slots.ItemOf(_starts[index] + p)];
                throw new BackboneSpecException($"The model produced NaN or infinity for view '{slots.ViewOf(_starts[index] + p).Id}' of '{viewed.Id}'.{hint}");
            }
            var item = _items[_starts[index] + p];
            unit.Errors[p] = new ErrorRow(item.Id, item.Source, item.Label, item.Split, NonFiniteEmbedding, $"The model produced NaN or infinity for this input.{hint}");
        }
    }

    /// <summary>The error reason of an input whose embedding was not finite.</summary>
    public const string NonFiniteEmbedding = "non-finite-embedding";

    /// <summary>The writer: rows in id order (the scheduled inputs that failed or were embedded).</summary>
    public bool Write(Unit unit, int index)
    {
        var dimension = _backbone.Dimension;
        var start = _starts[index];
        for (var p = 0; p < PositionsOf(index); p++)
        {
            if (_slots is { } slots)
            {
                // An input's error row once (at its first slot); its view rows each, the last one completing the input.
                var slot = start + p;
                if (unit.Errors[p] is { } failed) { if (slots.IsFirstOfItem(slot)) _parts.AddError(failed); }
                else if (unit.Batch.IsEmbedded(p))
                    _parts.AddEmbedding(_items[slots.ItemOf(slot)], unit.Embeddings.AsSpan(p * dimension, dimension), slots.ViewOf(slot).Id, slots.IsLastOfItem(slot));
                continue;
            }
            if (!Scheduled(start + p)) continue;
            if (unit.Errors[p] is { } error) _parts.AddError(error);
            else if (unit.Batch.IsEmbedded(p)) _parts.AddEmbedding(_items[start + p], unit.Embeddings.AsSpan(p * dimension, dimension));
        }
        _progress?.Report(new ExtractionProgress(_pending, Embedded, Failed, _parts.Committed, _clock.Elapsed));
        return true;
    }

    /// <summary>
    /// Whether the run finished or was stopped, every row appended so far is whole: commit them, so an interrupted run
    /// (Ctrl-C) keeps its work. Only a kill loses the part in progress.
    /// </summary>
    public void Finish()
    {
        _parts.CommitPending();
        _progress?.Report(new ExtractionProgress(_pending, Embedded, Failed, _parts.Committed, _clock.Elapsed));
    }

    /// <summary>One reused unit: the backbone's batch, the embeddings by position, and per position its error row.</summary>
    internal sealed class Unit(BackboneBatch batch, int dimension)
    {
        public BackboneBatch Batch { get; } = batch;

        /// <summary>Pooled, normalised embeddings by position, row-major.</summary>
        public float[] Embeddings { get; } = new float[checked(batch.Capacity * dimension)];

        /// <summary>Per position: the error row of a scheduled input that failed, else null.</summary>
        public ErrorRow?[] Errors { get; } = new ErrorRow?[batch.Capacity];
    }
}
