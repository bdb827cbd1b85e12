using System.Diagnostics;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Output;
using OnnxTransfer.Features.Pipeline;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Prediction;

namespace OnnxTransfer.Inference.Scoring;

/// <summary>
/// One run over the pending parts of <see cref="BatchScorer"/> through <see cref="BatchPipeline{TBuffer}"/>: each part
/// is cut into batches, decoded (or tokenised) on several threads into reused engine batches, run in order (up to
/// <see cref="RunsInFlight"/> at once, each on its own batch: the engines' Run is thread-safe across batches), and its
/// rows set in part order; a part is written once all its rows are.
/// </summary>
internal sealed class ScoringRun : IBatchStages<ScoringRun.Buffer>
{
    private readonly Predictor _predictor;
    private readonly ScoringOptions _options;
    private readonly IReadOnlyList<string> _labels;
    private readonly string _output;
    private readonly ShardSpec _shard;
    private readonly IProgress<ScoringProgress>? _progress;
    private readonly Stopwatch _clock;
    private readonly int _kept;
    private readonly int _partCount;
    private readonly int _shardInputs;
    private readonly InferenceEngine _engine;
    private readonly List<InputItem> _flat = [];
    private readonly List<(ScorePart Part, int Count, int Start)> _batches = [];
    private readonly List<int> _rowInPart = []; // per entry of _flat: its row in its part
    private CancellationToken _stopAfterPart;

    public ScoringRun(Predictor predictor, ScoringOptions options, List<ScorePart> parts, IReadOnlyList<string> labels, string output,
        ShardSpec shard, IProgress<ScoringProgress>? progress, Stopwatch clock, int kept, int partCount, int shardInputs)
    {
        _predictor = predictor;
        _options = options;
        _labels = labels;
        _output = output;
        _shard = shard;
        _progress = progress;
        _clock = clock;
        _kept = kept;
        _partCount = partCount;
        _shardInputs = shardInputs;
        _engine = predictor.Engine;
        var batchSize = predictor.BatchSize;
        foreach (var part in parts)
        {
            for (var offset = 0; offset < part.Items.Count; offset += batchSize)
                _batches.Add((part, Math.Min(batchSize, part.Items.Count - offset), _flat.Count + offset));
            foreach (var row in ProcessingOrder(part))
            {
                _flat.Add(part.Items[row]);
                _rowInPart.Add(row);
            }
        }
    }

    public int PartsWritten { get; private set; }
    public long Rows { get; private set; }
    public long Errors { get; private set; }
    public bool Interrupted { get; private set; }
    public SortedDictionary<string, int> ErrorsByReason { get; } = new(StringComparer.Ordinal);

    public int Units => _batches.Count;

    /// <summary>How long the model's run on a blank batch took before the pipeline started; zero when it did not warm up.</summary>
    public TimeSpan WarmUpTime { get; private set; }

    /// <summary>Batches the model runs at once: the options' count, or auto for the providers the engine runs on.</summary>
    public int RunsInFlight => Features.Pipeline.RunsInFlight.Resolve(_options.RunsInFlight, _engine.ActiveProviders);

    public int PositionsOf(int unit) => _batches[unit].Count;

    /// <summary>
    /// Scores every pending part; <paramref name="stopAfterPart"/> ends the run cleanly after the part in progress is
    /// committed, <paramref name="abort"/> stops at once.
    /// </summary>
    public void Execute(CancellationToken stopAfterPart, CancellationToken abort)
    {
        if (_batches.Count == 0) return;
        _stopAfterPart = stopAfterPart;
        var threads = Math.Min(_options.EffectiveDecodeThreads, _flat.Count);
        var runs = RunsInFlight;
        var least = Features.Pipeline.RunsInFlight.BuffersFor(runs); // one filling and one writing besides the runs
        var buffers = new Buffer[Math.Min(Math.Clamp(threads + 1, least, Math.Max(8, least)), _batches.Count)];
        try
        {
            for (var s = 0; s < buffers.Length; s++) buffers[s] = new Buffer(_predictor.Rent());
            WarmUpTime = ModelWarmUp.Time(_options.WarmUp, _engine.ActiveProviders, () => _engine.WarmUp(buffers[0].Batch, abort));
            BatchPipeline<Buffer>.Run(this, buffers, threads, runs, abort);
        }
        finally
        {
            // Every stage's thread is done with them: the predictor keeps them for its next call or run (at most two per core).
            foreach (var buffer in buffers) if (buffer is not null) _predictor.Return(buffer.Batch);
        }
    }

    public void Prepare(Buffer buffer, int unit, int position) =>
        buffer.Failures[position] = _engine.Prepare(_flat[_batches[unit].Start + position], buffer.Batch, position);

    public void Run(Buffer buffer, int unit, CancellationToken token)
    {
        var count = _batches[unit].Count;
        if (Array.FindIndex(buffer.Failures, 0, count, f => f is null) >= 0) _engine.Run(buffer.Batch, count, token);
    }

    public bool Write(Buffer buffer, int unit)
    {
        var classes = _labels.Count;
        var (part, count, start) = _batches[unit];
        for (var j = 0; j < count; j++)
        {
            var probabilities = buffer.Batch.Probabilities.AsSpan(j * classes, classes);
            if (buffer.Failures[j] is { } failure) part.SetFailed(_rowInPart[start + j], failure.Reason, failure.Message);
            // NaN or infinity (at fp16: a value beyond ±65504 overflowed) is no score: an error row, and the run goes on.
            else if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(probabilities)))
                part.SetFailed(_rowInPart[start + j], NonFiniteProbabilities, NonFiniteMessage);
            else part.SetScored(_rowInPart[start + j], probabilities, buffer.Batch.OodScores[j]);
        }
        if (!part.IsComplete) return true;
        Commit(part);
        if (!_stopAfterPart.IsCancellationRequested || unit + 1 == _batches.Count) return true;
        Interrupted = true;
        return false;
    }

    /// <summary>The error reason of an input whose probabilities were not finite.</summary>
    public const string NonFiniteProbabilities = "non-finite-probabilities";

    private const string NonFiniteMessage =
        "The model produced NaN or infinity for this input (at --precision fp16 a value beyond ±65504 overflows: score it at fp32 or tf32).";

    public void Finish()
    {
        // Parts are committed whole as they complete; a part cut short by a stop is redone by the rerun.
    }

    /// <summary>
    /// The order a part's rows are run in: as they are for images; for texts sorted by token count (ties in row
    /// order), so each batch holds texts of similar length and pads little. Rows are written in part order either
    /// way, and the order depends only on the part's rows, so a rerun computes every row in the same batch.
    /// </summary>
    private int[] ProcessingOrder(ScorePart part)
    {
        var order = new int[part.Items.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        if (_engine.Reader is not Features.Backbones.TextInputReader text) return order;
        var keys = new long[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            var length = part.Items[i].Text is { } t ? text.Encoder.Encode(t).Encoding?.Length ?? 0 : 0;
            keys[i] = ((long)length << 32) | (uint)i;
        }
        Array.Sort(keys, order);
        return order;
    }

    private void Commit(ScorePart part)
    {
        var path = Path.Combine(_output, ScoreLayout.PartName(part.Index, _shard, _options.Format));
        try { ScorePartWriter.Write(path, part, _labels, _options.Format, ScoreLayout.PartMetadata(_predictor.ModelIdentity, _labels, _shard)); }
        catch (IOException e) when (DiskFullException.IsDiskFull(e))
        {
            // The writer deleted its temporary file; the parts before this one stay valid and a rerun continues.
            var partBytes = (long)part.Items.Count * (256 + 16 * part.K); // a generous row: id, path, labels, message, k scores
            throw new DiskFullException(_output, part.Index, Rows, partBytes, DiskFullException.AvailableBytes(_output), e);
        }
        PartsWritten++;
        Rows += part.Items.Count;
        Errors += part.Errors;
        for (var i = 0; i < part.Items.Count; i++)
            if (part.ErrorReason[i] is { } reason) ErrorsByReason[reason] = ErrorsByReason.GetValueOrDefault(reason) + 1;
        _progress?.Report(new ScoringProgress(part.Index, part.Items.Count, part.Errors, _kept + PartsWritten, _partCount,
            Rows, _shardInputs, _clock.Elapsed));
    }

    /// <summary>One reused engine batch and, per position, why its input failed (null when it was prepared).</summary>
    internal sealed class Buffer(EngineBatch batch)
    {
        public EngineBatch Batch { get; } = batch;

        public (string Reason, string Message)?[] Failures { get; } = new (string, string)?[batch.Capacity];
    }
}
