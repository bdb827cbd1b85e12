using OnnxTransfer.Features.Pipeline;

namespace OnnxTransfer.Features.Tests;

/// <summary>
/// <see cref="BatchPipeline{TBuffer}"/> with several runs in flight (issue 14): random per-unit run times on three
/// runners still write every unit once, in unit order, each from the buffer its own positions were prepared into;
/// three runs really overlap; a failure in one runner stops the others and is rethrown; a cancellation still writes
/// every unit handed over.
/// </summary>
public sealed class BatchPipelineRunnersTests
{
    private const int Runners = 3;

    [Test]
    public void ThreeRunnersWriteEveryUnitOnceInOrderFromItsOwnBuffer()
    {
        var stages = new RecordingStages(units: 60, seed: 7);
        var times = BatchPipeline<Slot>.Run(stages, Slots(RunsInFlight.BuffersFor(Runners)), preparers: 2, runners: Runners, CancellationToken.None);

        Assert.That(stages.Written, Is.EqualTo(Enumerable.Range(0, 60)), "every unit written once, in unit order");
        Assert.That(stages.Mismatches, Is.Empty, "each unit ran and was written from the positions prepared for it");
        Assert.That(stages.MostAtOnce, Is.EqualTo(Runners), "three runs overlapped, never more");
        Assert.That(stages.Finished, Is.EqualTo(1));
        Assert.That(times.Run, Is.GreaterThan(TimeSpan.Zero));
    }

    [Test]
    public void OneRunnerNeverOverlapsRuns()
    {
        var stages = new RecordingStages(units: 20, seed: 3);
        BatchPipeline<Slot>.Run(stages, Slots(4), preparers: 2, runners: 1, CancellationToken.None);
        Assert.That(stages.Written, Is.EqualTo(Enumerable.Range(0, 20)));
        Assert.That(stages.MostAtOnce, Is.EqualTo(1));
    }

    [Test]
    public void AFailureInOneRunnerStopsTheOthersAndIsRethrown()
    {
        var stages = new RecordingStages(units: 400, seed: 11) { FailingUnit = 25 };
        var error = Assert.Throws<InvalidOperationException>(() =>
            BatchPipeline<Slot>.Run(stages, Slots(RunsInFlight.BuffersFor(Runners)), preparers: 2, runners: Runners, CancellationToken.None))!;

        Assert.That(error.Message, Is.EqualTo("unit 25 failed"));
        Assert.That(stages.Written, Is.EqualTo(Enumerable.Range(0, stages.Written.Count)), "what is written is a prefix, in order");
        Assert.That(stages.Written, Has.Count.LessThanOrEqualTo(25), "nothing from the failed unit on");
        Assert.That(stages.Started, Is.LessThan(25 + RunsInFlight.BuffersFor(Runners) + 1), "the other runners stopped instead of running on");
        Assert.That(stages.Finished, Is.EqualTo(1), "the writer still finishes");
    }

    [Test]
    public void ACancellationWritesEveryUnitHandedOverInOrder()
    {
        using var cancel = new CancellationTokenSource();
        var stages = new RecordingStages(units: 400, seed: 5) { OnWrite = unit => { if (unit == 12) cancel.Cancel(); } };
        Assert.Throws<OperationCanceledException>(() =>
            BatchPipeline<Slot>.Run(stages, Slots(RunsInFlight.BuffersFor(Runners)), preparers: 2, runners: Runners, cancel.Token));

        Assert.That(stages.Written, Is.EqualTo(Enumerable.Range(0, stages.Written.Count)), "a prefix, in order");
        Assert.That(stages.Written, Has.Count.GreaterThanOrEqualTo(13));
        Assert.That(stages.Written, Is.EquivalentTo(stages.Returned), "every unit whose run returned (stopped inside or not) was written");
        Assert.That(stages.Returned, Has.Count.LessThan(400), "the run stopped");
        Assert.That(stages.Finished, Is.EqualTo(1));
    }

    private static Slot[] Slots(int count) => [.. Enumerable.Range(0, count).Select(_ => new Slot())];

    /// <summary>A reused buffer: per position the unit it was prepared for, and the unit its run computed.</summary>
    private sealed class Slot
    {
        public int[] PreparedFor { get; } = new int[4];

        public int RanUnit { get; set; } = -1;
    }

    /// <summary>Units of 1 to 4 positions, each run sleeping 1–8 ms (seeded), recording what each stage saw.</summary>
    private sealed class RecordingStages(int units, int seed) : IBatchStages<Slot>
    {
        private readonly int[] _delays = [.. Enumerable.Range(0, units).Select(u => new Random(seed * 1000 + u).Next(1, 9))];
        private readonly List<int> _returned = [];
        private int _running;
        private int _mostAtOnce;
        private int _started;

        public int? FailingUnit { get; init; }

        public Action<int>? OnWrite { get; init; }

        public List<int> Written { get; } = [];

        public List<string> Mismatches { get; } = [];

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public int Started => Volatile.Read(ref _started);

        public int Finished { get; private set; }

        public List<int> Returned { get { lock (_returned) return [.. _returned]; } }

        public int Units => units;

        public int PositionsOf(int unit) => 1 + unit % 4;

        public void Prepare(Slot buffer, int unit, int position) => buffer.PreparedFor[position] = unit;

        public void Run(Slot buffer, int unit, CancellationToken token)
        {
            Interlocked.Increment(ref _started);
            var now = Interlocked.Increment(ref _running);
            for (var most = Volatile.Read(ref _mostAtOnce); now > most; most = Volatile.Read(ref _mostAtOnce))
                if (Interlocked.CompareExchange(ref _mostAtOnce, now, most) == most) break;
            try
            {
                for (var p = 0; p < PositionsOf(unit); p++)
                    if (buffer.PreparedFor[p] != unit) lock (Mismatches) Mismatches.Add($"unit {unit} ran on position {p} prepared for {buffer.PreparedFor[p]}");
                if (unit == FailingUnit) throw new InvalidOperationException($"unit {unit} failed");
                token.WaitHandle.WaitOne(_delays[unit]); // a stop ends the wait: the unit is handed over as it is
                buffer.RanUnit = unit;
                lock (_returned) _returned.Add(unit);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        public bool Write(Slot buffer, int unit)
        {
            if (buffer.RanUnit != unit) Mismatches.Add($"unit {unit} written from a buffer run for {buffer.RanUnit}");
            Written.Add(unit);
            OnWrite?.Invoke(unit);
            return true;
        }

        public void Finish() => Finished++;
    }
}
