using System.Diagnostics;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Pipeline;
using OnnxTransfer.Formats;
using OnnxTransfer.Text;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Features.Extraction;

/// <summary>
/// One extraction run of a text backbone through <see cref="BatchPipeline{TBuffer}"/>: tokenising threads,
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
internal sealed class TextExtractionRun : ExtractionRun, IBatchStages<TextExtractionRun.Window>
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
    private readonly List<int> _rows; // the inference stage's reused lists (one thread)
    private readonly List<int> _positions;
    private readonly List<int> _lengths;
    private TextBatch? _batch;
    private float[] _pooled = [];
    private LengthBucketingBatcher? _batcher;
    private int _truncated;
    private int _inferred;
    private int _failedSoFar;

    public TextExtractionRun(TextBackbone backbone, ExtractionOptions options, EmbeddingCache cache, IReadOnlyList<InputItem> items,
        bool[] scheduled, int scheduledCount, IProgress<ExtractionProgress>? progress, Stopwatch clock)
        : base(new CachePartSequence(cache, backbone.ActiveProviders, backbone.Numerics, options, scheduledCount, backbone.Dimension))
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
        _rows = new List<int>(BatchSize);
        _positions = new List<int>(_window);
        _lengths = new List<int>(_window);
    }

    public override int BatchSize { get; }
    public override int Truncated => Volatile.Read(ref _truncated);

    public int Units => _windows.Length;

    /// <summary>Inputs in window <paramref name="unit"/> (an index into <see cref="_windows"/>).</summary>
    public int PositionsOf(int unit) => Math.Min(_window, _items.Count - _windows[unit] * _window);

    private int StartOf(int unit) => _windows[unit] * _window;

    public override void Execute(CancellationToken cancellationToken)
    {
        if (_windows.Length == 0)
        {
            _progress?.Report(new ExtractionProgress(0, 0, 0, 0, _clock.Elapsed));
            return;
        }
        try
        {
            _batch = _backbone.CreateBatch(BatchSize);
            _pooled = new float[_batch.Capacity * _backbone.Dimension];
            _batcher = new LengthBucketingBatcher(_batch.Capacity);
            var rows = 0;
            for (var unit = 0; unit < _windows.Length; unit++) rows += PositionsOf(unit);
            var windows = new Window[Math.Min(_options.BatchesInFlight, _windows.Length)];
            for (var s = 0; s < windows.Length; s++) windows[s] = new Window(_window, _backbone.Dimension);
            Times = BatchPipeline<Window>.Run(this, windows, Math.Min(_options.EffectiveDecodeThreads, rows), cancellationToken);
        }
        finally
        {
            Parts.Dispose(); // a part that could not be committed is abandoned: its temporary file is deleted
            _progress?.Report(new ExtractionProgress(_scheduledCount, Embedded, Failed, Parts.Committed, _clock.Elapsed));
        }
    }

    /// <summary>Tokenising threads: one input of a window into its position.</summary>
    public void Prepare(Window window, int unit, int position)
    {
        var index = StartOf(unit) + position;
        var item = _items[index];
        var scheduled = _scheduled[index];
        window.Encodings[position] = null;
        window.Errors[position] = null;
        window.Computed[position] = false;
        if (item.Failure is { } failure)
        {
            if (scheduled) window.Errors[position] = Error(item, failure.Code, failure.Message);
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
                window.Encodings[position] = encoding;
                if (scheduled && encoding.IsTruncated) Interlocked.Increment(ref _truncated);
            }
            else if (scheduled)
            {
                window.Errors[position] = Error(item, encoded.ErrorCode ?? "encode-failed", $"{item.Source}: {encoded.Error}");
            }
        }
    }

    private static ErrorRow Error(InputItem item, string reason, string message) => new(item.Id, item.Source, item.Label, item.Split, reason, message);

    /// <summary>
    /// The window's tokenised rows in length-bucketed batches. Stopped inside a window, it returns with the rows
    /// computed so far (they are whole), and the writer commits them.
    /// </summary>
    public void Run(Window window, int unit, CancellationToken token)
    {
        var batch = _batch!;
        var dimension = _backbone.Dimension;
        var start = StartOf(unit);
        try
        {
            _positions.Clear();
            _lengths.Clear();
            for (var p = 0; p < PositionsOf(unit); p++)
            {
                if (window.Errors[p] is not null) _failedSoFar++;
                if (window.Encodings[p] is not { } encoding) continue;
                _positions.Add(p);
                _lengths.Add(encoding.Length);
            }
            var encodings = (IReadOnlyList<TokenEncoding>)window.Encodings!; // only positions with tokens are read
            foreach (var planned in Plan(_batcher!, _lengths))
            {
                _rows.Clear();
                var length = 0;
                foreach (var k in planned)
                {
                    var p = _positions[k];
                    length = Math.Max(length, _lengths[k]);
                    if (_scheduled[start + p]) _rows.Add(p);
                }
                if (_rows.Count == 0) continue;
                var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_rows);
                _backbone.Embed(batch, encodings, span, _pooled, length, token);
                for (var r = 0; r < span.Length; r++)
                {
                    _pooled.AsSpan(r * dimension, dimension).CopyTo(window.Embeddings.AsSpan(span[r] * dimension, dimension));
                    window.Computed[span[r]] = true;
                }
                _inferred += span.Length;
                _progress?.Report(new ExtractionProgress(_scheduledCount, _inferred, _failedSoFar, Parts.Committed, _clock.Elapsed));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped inside a window: the pipeline hands it to the writer with the rows computed so far.
        }
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

    /// <summary>The writer: windows in order, rows in id order (only the scheduled rows that were computed or failed).</summary>
    public bool Write(Window window, int unit)
    {
        var dimension = _backbone.Dimension;
        var start = StartOf(unit);
        for (var p = 0; p < PositionsOf(unit); p++)
        {
            var index = start + p;
            if (!_scheduled[index]) continue;
            if (window.Errors[p] is { } error) Parts.AddError(error);
            else if (window.Computed[p]) Parts.AddEmbedding(_items[index], window.Embeddings.AsSpan(p * dimension, dimension));
        }
        return true;
    }

    public void Finish() => Parts.CommitPending();

    /// <summary>
    /// One reusable window: a run of consecutive inputs (in id order) that is tokenised, cut into length-bucketed
    /// batches, embedded and written together.
    /// </summary>
    internal sealed class Window(int capacity, int dimension)
    {
        /// <summary>Per position: the tokens, or null when the input failed.</summary>
        public TokenEncoding?[] Encodings { get; } = new TokenEncoding?[capacity];

        /// <summary>Per position: the error row of a scheduled input that failed.</summary>
        public ErrorRow?[] Errors { get; } = new ErrorRow?[capacity];

        /// <summary>Per position: the embedding has been computed (all scheduled good rows, unless the run was stopped).</summary>
        public bool[] Computed { get; } = new bool[capacity];

        /// <summary>Embeddings by position, row-major.</summary>
        public float[] Embeddings { get; } = new float[checked(capacity * dimension)];
    }
}
