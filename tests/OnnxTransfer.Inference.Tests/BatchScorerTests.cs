using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Scoring;
using OnnxTransfer.TestSupport;

namespace OnnxTransfer.Inference.Tests;

/// <summary>The scorer in-process: a stop request commits the part in progress and a rerun completes it; foreign parts are refused.</summary>
[NonParallelizable]
public class BatchScorerTests
{
    private static Hymenoptera H => Hymenoptera.Instance;

    private static InputSet Val => InputSet.Open(Path.Combine(SharedData.Hymenoptera, "val"));

    [Test]
    public void AStopRequestCommitsThePartInProgressAndARerunCompletesTheSameFiles()
    {
        using var predictor = Predictor.FromFusedModel(H.FusedPath, new PredictorOptions { MaxBatchSize = 8, AllowSpinning = false });
        var options = new ScoringOptions { RowsPerPart = 20, DecodeThreads = 2 };
        using var whole = new TempDirectory("scorer-whole");
        var reference = new BatchScorer(predictor, options).Run(Val, whole.Path);
        Assert.That(reference.Succeeded && reference.Parts == 8 && reference.PartsWritten == 8, reference.ToString());

        using var stopped = new TempDirectory("scorer-stopped");
        using var stop = new CancellationTokenSource();
        var progress = new Stopper(stop, afterParts: 3);
        var first = new BatchScorer(predictor, options).Run(Val, stopped.Path, progress, stop.Token);
        Assert.That(first.Interrupted, Is.True);
        Assert.That(first.PartsWritten, Is.EqualTo(3), "the request came as part 3 was committed: the run stopped there, with the next part unwritten");
        Assert.That(File.Exists(Path.Combine(stopped.Path, "_SUCCESS")), Is.False);

        var second = new BatchScorer(predictor, options).Run(Val, stopped.Path);
        Assert.That((second.PartsAlreadyDone, second.PartsWritten, second.Succeeded), Is.EqualTo((3, 5, true)));
        foreach (var file in Directory.GetFiles(whole.Path).Where(f => !Path.GetFileName(f).StartsWith('.')))
            Assert.That(File.ReadAllBytes(Path.Combine(stopped.Path, Path.GetFileName(file))), Is.EqualTo(File.ReadAllBytes(file)), Path.GetFileName(file));

        // A finished run rerun does nothing and still succeeds.
        var third = new BatchScorer(predictor, options).Run(Val, stopped.Path);
        Assert.That((third.PartsWritten, third.Succeeded), Is.EqualTo((0, true)));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void TwoRunsInFlightWriteTheSameScorePartsAsOne(bool fused)
    {
        // Issue 14: two model runs at once on the engine's session(s) (the chained form: backbone and head sessions,
        // each batch with its own buffers) give exactly the parts of one run at a time.
        var predictorOptions = new PredictorOptions { MaxBatchSize = 8, AllowSpinning = false };
        using var predictor = fused ? Predictor.FromFusedModel(H.FusedPath, predictorOptions) : Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel, predictorOptions);
        var files = new Dictionary<int, string>();
        var folders = new List<TempDirectory>();
        try
        {
            foreach (var runs in new[] { 1, 2 })
            {
                var folder = new TempDirectory($"scorer-runs-in-flight-{runs}");
                folders.Add(folder);
                var summary = new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 40, DecodeThreads = 2, RunsInFlight = runs }).Run(Val, folder.Path);
                Assert.That((summary.Succeeded, summary.Errors, summary.RunsInFlight), Is.EqualTo((true, 0L, runs)), summary.ToString());
                files[runs] = folder.Path;
            }
            var names = Directory.GetFiles(files[1]).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order().ToArray();
            Assert.That(names, Has.Some.StartsWith("part-"));
            Assert.That(Directory.GetFiles(files[2]).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(), Is.EqualTo(names));
            foreach (var name in names)
                Assert.That(File.ReadAllBytes(Path.Combine(files[2], name!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(files[1], name!))), name);
        }
        finally
        {
            foreach (var folder in folders) folder.Dispose();
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void AWarmUpChangesNoScoreAndIsTimedApart(bool fused)
    {
        // Issue 14: the model's run on a blank batch before scoring (auto on CUDA; asked here on CPU, with the batches
        // set up as on CUDA: fixed shapes, bound buffers) writes the parts of a run without it and is timed on its own.
        var predictorOptions = new PredictorOptions { MaxBatchSize = 8, FixedBatch = SpeedSwitch.On, IoBinding = SpeedSwitch.On };
        using var predictor = fused ? Predictor.FromFusedModel(H.FusedPath, predictorOptions) : Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel, predictorOptions);
        using var off = new TempDirectory("scorer-warm-up-off");
        using var on = new TempDirectory("scorer-warm-up-on");
        var cold = new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 40, DecodeThreads = 2, WarmUp = SpeedSwitch.Off }).Run(Val, off.Path);
        var warm = new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 40, DecodeThreads = 2, WarmUp = SpeedSwitch.On }).Run(Val, on.Path);
        Assert.That((cold.Succeeded, warm.Succeeded, cold.WarmUpTime), Is.EqualTo((true, true, TimeSpan.Zero)));
        Assert.That(warm.WarmUpTime, Is.GreaterThan(TimeSpan.Zero).And.LessThan(warm.Elapsed), warm.ToString());
        Assert.That(warm.ToString(), Does.Contain("s warm-up"));
        var names = Directory.GetFiles(off.Path, "part-*").Select(Path.GetFileName).Order().ToArray();
        Assert.That(names, Is.Not.Empty);
        foreach (var name in names)
            Assert.That(File.ReadAllBytes(Path.Combine(on.Path, name!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(off.Path, name!))), name);
    }

    [Test]
    public void RunsInFlightBelowOneIsRefusedNamingTheFix()
    {
        using var predictor = Predictor.FromFusedModel(H.FusedPath);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchScorer(predictor, new ScoringOptions { RunsInFlight = 0 }))!;
        Assert.That(error.Message, Does.Contain("--runs-in-flight must be at least 1 or auto"));
    }

    [Test]
    public void PartsOfAnotherRunAreNeverMixedIn()
    {
        using var predictor = Predictor.FromFusedModel(H.FusedPath);
        using var folder = new TempDirectory("scorer-refusals");
        new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 100 }).Run(Val, folder.Path);

        var otherSettings = Assert.Throws<ScoreOutputException>(() => new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 50 }).Run(Val, folder.Path))!;
        Assert.That(otherSettings.Message, Does.Contain("rows_per_part was 100, now 50"));
        var otherInputs = Assert.Throws<ScoreOutputException>(() =>
            new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 100 }).Run(InputSet.Open(Path.Combine(SharedData.Hymenoptera, "train")), folder.Path))!;
        Assert.That(otherInputs.Message, Does.Contain("inputs_sha256"));
        using var chained = Predictor.FromBackbone(Hymenoptera.Spec(), H.HeadModel);
        Assert.That(Assert.Throws<ScoreOutputException>(() => new BatchScorer(chained, new ScoringOptions { RowsPerPart = 100 }).Run(Val, folder.Path))!.Message,
            Does.Contain("model was"));
        Assert.That(Assert.Throws<ScoreOutputException>(() =>
            new BatchScorer(predictor, new ScoringOptions { RowsPerPart = 100, Shard = new ShardSpec(0, 2) }).Run(Val, folder.Path))!.Message,
            Does.Contain("unsharded run"));
    }

    /// <summary>Requests a stop when the given number of parts is committed (reported synchronously on the scorer's thread, before it checks).</summary>
    private sealed class Stopper(CancellationTokenSource stop, int afterParts) : IProgress<ScoringProgress>
    {
        public void Report(ScoringProgress value)
        {
            if (value.PartsDone == afterParts) stop.Cancel();
        }
    }
}
