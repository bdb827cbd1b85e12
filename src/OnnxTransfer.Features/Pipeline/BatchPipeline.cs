using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using OnnxTransfer.Formats;

namespace OnnxTransfer.Features.Pipeline;

/// <summary>
/// The one pipeline of extraction and scoring, image or text, CPU or GPU: prepare → run → write over a pool of K
/// reused buffers cycling through bounded channels. Unit u's positions go to the preparing threads; R running threads
/// (the calling thread and R − 1 more: "runs in flight") take units in order, each once all its positions are prepared,
/// and run up to R of them at once, each on its own buffer; a writing thread writes them in order and hands the buffer
/// on to unit u + K. So K units are in flight, rows are written in unit order whatever thread finishes first, and a
/// slow stage holds the others back instead of piling up work.
/// </summary>
/// <remarks>
/// <para>
/// With R &gt; 1 (on CUDA: one batch's copies and kernels overlap the next one's) a unit starts running only after the
/// one before it started, and a unit that finishes early waits for its predecessors before it goes to the writer. K
/// should be at least R + 1 so the preparing threads have a buffer to fill while R units run.
/// </para>
/// <para>
/// The first failure in any stage stops every stage and is rethrown; a stop (cancellation or failure) still writes
/// every unit the running stage handed over, in unit order, and then calls <see cref="IBatchStages{TBuffer}.Finish"/>,
/// so an interrupted run keeps its complete rows. A unit whose run threw is dropped, and so are the units after it
/// (with one runner they would not have run): what is written is always a prefix of the units.
/// </para>
/// </remarks>
public sealed class BatchPipeline<TBuffer>
{
    private readonly IBatchStages<TBuffer> _stages;
    private readonly CancellationTokenSource _stop;
    private readonly Channel<Lane> _assigned;    // units in order, for the running stage
    private readonly Channel<Work> _positions;   // positions to prepare (room for every position of K units)
    private readonly Channel<Lane> _ran;         // units run, in order, for the writer
    private readonly Lane[] _lanes;
    private readonly SemaphoreSlim _startTurn = new(1, 1); // one runner at a time takes the next unit: units start in order
    private readonly Dictionary<int, Lane> _finishedEarly = []; // units run before a predecessor was, by unit (lock it to use)
    private int _nextToHandOver;
    private int _firstDropped = int.MaxValue; // the first unit whose run threw: it and the units after it are not written
    private long _prepareTicks;
    private long _runTicks;
    private long _waitTicks;
    private long _writeTicks;
    private Exception? _failure;
    private bool _stoppedByWriter;
    private int _nextUnit; // the next unit to assign (the calling thread first, then the writer)

    private BatchPipeline(IBatchStages<TBuffer> stages, IReadOnlyList<TBuffer> buffers, CancellationToken token)
    {
        _stages = stages;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        _assigned = Bounded<Lane>(buffers.Count);
        _ran = Bounded<Lane>(buffers.Count);
        var positions = 1;
        for (var unit = 0; unit < stages.Units; unit++) positions = Math.Max(positions, stages.PositionsOf(unit));
        _positions = Bounded<Work>(checked(buffers.Count * positions));
        _lanes = [.. buffers.Select(b => new Lane(b))];
        foreach (var lane in _lanes.Take(stages.Units)) Assign(lane);
    }

    /// <summary>
    /// Runs every unit of <paramref name="stages"/> through <paramref name="buffers"/> (K buffers: K units in flight)
    /// with <paramref name="preparers"/> preparing threads and one running thread (the calling thread).
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled (after the units handed to the writer were written).</exception>
    public static PipelineTimes Run(IBatchStages<TBuffer> stages, IReadOnlyList<TBuffer> buffers, int preparers, CancellationToken token) =>
        Run(stages, buffers, preparers, runners: 1, token);

    /// <summary>
    /// Runs every unit of <paramref name="stages"/> through <paramref name="buffers"/> (K buffers: K units in flight)
    /// with <paramref name="preparers"/> preparing threads and <paramref name="runners"/> running threads (at most K;
    /// give K ≥ R + 1), so up to R units run at once.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled (after the units handed to the writer were written).</exception>
    public static PipelineTimes Run(IBatchStages<TBuffer> stages, IReadOnlyList<TBuffer> buffers, int preparers, int runners, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(buffers);
        if (buffers.Count < 1) throw new ArgumentException("A pipeline needs at least one buffer.", nameof(buffers));
        ArgumentOutOfRangeException.ThrowIfLessThan(runners, 1);
        preparers = Math.Max(1, preparers);
        runners = Math.Min(runners, Math.Min(buffers.Count, stages.Units)); // a runner beyond these would never get a unit
        if (stages.Units == 0)
        {
            stages.Finish();
            return default;
        }
        var pipeline = new BatchPipeline<TBuffer>(stages, buffers, token);
        pipeline.Execute(preparers, runners, token);
        return new PipelineTimes(pipeline._prepareTicks, pipeline._runTicks, pipeline._waitTicks, pipeline._writeTicks);
    }

    private void Execute(int preparers, int runners, CancellationToken token)
    {
        var stop = _stop.Token;
        var threads = new List<Thread>(preparers + 1) { Start("onnxtransfer-write", WriteUnits) };
        for (var t = 0; t < preparers; t++) threads.Add(Start($"onnxtransfer-prepare-{t}", () => Prepare(stop)));
        var otherRunners = new List<Thread>(runners - 1);
        try
        {
            for (var r = 1; r < runners; r++) otherRunners.Add(Start($"onnxtransfer-run-{r}", () => RunUnits(stop)));
            Guarded(() => RunUnits(stop));
        }
        finally
        {
            foreach (var thread in otherRunners) thread.Join();
            _ran.Writer.TryComplete(); // every runner is done: the writer ends after what was handed over
            foreach (var thread in threads) thread.Join();
            _stop.Dispose();
            _startTurn.Dispose();
            foreach (var lane in _lanes) lane.Prepared.Dispose();
        }
        if (_failure is not null)
        {
            if (_failure is OperationCanceledException && token.IsCancellationRequested) throw new OperationCanceledException(token);
            ExceptionDispatchInfo.Throw(_failure);
        }
        if (!_stoppedByWriter) token.ThrowIfCancellationRequested();
    }

    private Thread Start(string name, Action stage)
    {
        var thread = new Thread(() => Guarded(stage)) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>Runs a stage; the first failure anywhere stops every stage.</summary>
    private void Guarded(Action stage)
    {
        try { stage(); }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: cancelled, another stage failed, or the writer ended the run.
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Stop();
        }
    }

    private void Stop()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Gives <paramref name="lane"/> the next unit and its positions to the preparing threads. The channels never fill:
    /// they have room for the K units there can be.
    /// </summary>
    private void Assign(Lane lane)
    {
        var unit = _nextUnit++;
        var positions = _stages.PositionsOf(unit);
        lane.Assign(unit, positions);
        if (!_assigned.Writer.TryWrite(lane)) throw new InvalidOperationException("More units in flight than buffers.");
        for (var p = 0; p < positions; p++)
            if (!_positions.Writer.TryWrite(new Work(lane, p))) throw new InvalidOperationException("More positions in flight than there is room for.");
        if (_nextUnit < _stages.Units) return;
        _assigned.Writer.TryComplete(); // the last unit is assigned: the running and preparing stages end when it is done
        _positions.Writer.TryComplete();
    }

    /// <summary>Preparing threads: one position at a time; the last position of a unit marks it prepared.</summary>
    private void Prepare(CancellationToken token)
    {
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (!Take(_positions.Reader, token, out var work)) return;
            var start = Stopwatch.GetTimestamp();
            _stages.Prepare(work.Lane.Buffer, work.Lane.Unit, work.Position);
            Interlocked.Add(ref _prepareTicks, Stopwatch.GetTimestamp() - start);
            work.Lane.CompleteOne();
        }
    }

    /// <summary>
    /// A running thread (the calling thread and R − 1 more): in its turn it takes the next unit and waits until all its
    /// positions are prepared, so units start in unit order; then it runs the unit on its own buffer while the next
    /// runner takes the one after, and hands it over in unit order.
    /// </summary>
    private void RunUnits(CancellationToken token)
    {
        while (true)
        {
            Lane lane;
            _startTurn.Wait(token);
            try
            {
                var waitStart = Stopwatch.GetTimestamp();
                if (!Take(_assigned.Reader, token, out lane)) return;
                lane.Prepared.Wait(token);
                Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - waitStart);
            }
            finally
            {
                _startTurn.Release();
            }
            var start = Stopwatch.GetTimestamp();
            try
            {
                _stages.Run(lane.Buffer, lane.Unit, token);
            }
            catch
            {
                Drop(lane.Unit);
                throw;
            }
            finally
            {
                Interlocked.Add(ref _runTicks, Stopwatch.GetTimestamp() - start);
            }
            HandOver(lane);
            token.ThrowIfCancellationRequested(); // stopped inside the unit: it was handed over with what it holds
        }
    }

    /// <summary>
    /// Gives a run unit to the writer once every unit before it was given: a unit that finished early waits here for
    /// its predecessors. <see cref="_ran"/> never fills: it holds at most the K buffers there are.
    /// </summary>
    private void HandOver(Lane lane)
    {
        lock (_finishedEarly)
        {
            _finishedEarly.Add(lane.Unit, lane);
            while (_nextToHandOver < _firstDropped && _finishedEarly.Remove(_nextToHandOver, out var next))
            {
                _ran.Writer.TryWrite(next);
                _nextToHandOver++;
            }
        }
    }

    /// <summary>A unit whose run threw is not written, nor any unit after it, so the rows written stay a prefix.</summary>
    private void Drop(int unit)
    {
        lock (_finishedEarly) _firstDropped = Math.Min(_firstDropped, unit);
    }

    /// <summary>
    /// The writing thread: every unit handed over, in order, even after a stop (so the rows computed before an
    /// interruption are committed), then <see cref="IBatchStages{TBuffer}.Finish"/>.
    /// </summary>
    private void WriteUnits()
    {
        while (Take(_ran.Reader, CancellationToken.None, out var lane))
        {
            var start = Stopwatch.GetTimestamp();
            var more = _stages.Write(lane.Buffer, lane.Unit);
            _writeTicks += Stopwatch.GetTimestamp() - start;
            if (more && !_stop.IsCancellationRequested && _nextUnit < _stages.Units) Assign(lane); // the buffer moves on to unit u + K
            if (more) continue;
            _stoppedByWriter = true;
            Stop();
            break;
        }
        var finishStart = Stopwatch.GetTimestamp();
        _stages.Finish();
        _writeTicks += Stopwatch.GetTimestamp() - finishStart;
    }

    private static Channel<T> Bounded<T>(int capacity) => Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        // The only continuations are the blocked stage threads' wake-ups (see Take): running them inline wakes
        // the waiting thread at once instead of after a hop through the thread pool, which a loaded machine delays.
        AllowSynchronousContinuations = true,
    });

    /// <summary>Blocking read for a stage thread; false once the channel is completed and empty.</summary>
    private static bool Take<T>(ChannelReader<T> reader, CancellationToken token, out T item)
    {
        while (!reader.TryRead(out item!))
        {
            var waiting = reader.WaitToReadAsync(token);
            if (!(waiting.IsCompletedSuccessfully ? waiting.Result : waiting.AsTask().GetAwaiter().GetResult())) return false;
        }
        return true;
    }

    private readonly record struct Work(Lane Lane, int Position);

    /// <summary>One buffer of the pool and the unit it holds now.</summary>
    private sealed class Lane(TBuffer buffer)
    {
        private int _remaining;

        public TBuffer Buffer { get; } = buffer;

        public int Unit { get; private set; } = -1;

        /// <summary>Set once every position of <see cref="Unit"/> is prepared.</summary>
        public ManualResetEventSlim Prepared { get; } = new(false);

        public void Assign(int unit, int positions)
        {
            Unit = unit;
            Prepared.Reset();
            _remaining = positions;
            if (positions == 0) Prepared.Set();
        }

        public void CompleteOne()
        {
            if (Interlocked.Decrement(ref _remaining) == 0) Prepared.Set();
        }
    }
}
