using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Training.Tests;

/// <summary>The workflow the CLI runs: the memory budget decides the placement, and the placement never changes the head.</summary>
public class HeadTrainingRunTests
{
    private TempDirectory _temp = null!;
    private EmbeddingDataset _dataset = null!;

    [OneTimeSetUp]
    public void WriteCache()
    {
        _temp = new TempDirectory();
        HymenopteraCache.WriteParts(_temp.Path, HymenopteraCache.Rows, HymenopteraCache.Fingerprint, partRows: 200, rowGroupRows: 50);
        _dataset = EmbeddingDataset.Open(_temp.Path);
    }

    [OneTimeTearDown]
    public void Delete() => _temp.Dispose();

    [Test]
    public void TheBudgetPlacesASplitInMemoryOrStreamed()
    {
        var loaded = PlacedSplit.Place(_dataset, "train", null, new MemoryBudget(1L << 30), copies: 2);
        var streamed = PlacedSplit.Place(_dataset, "train", null, new MemoryBudget(1L << 20), copies: 2);
        Assert.Multiple(() =>
        {
            Assert.That(loaded.Data.IsStreamed, Is.False);
            Assert.That(loaded.Placement, Does.StartWith("in memory"));
            Assert.That(streamed.Data.IsStreamed, Is.True);
            Assert.That(streamed.Placement, Does.StartWith("streamed from the cache"));
            Assert.That(streamed.Data.LabelIndices.ToArray(), Is.EqualTo(loaded.Data.LabelIndices.ToArray()));
        });
    }

    [Test]
    public void AStreamedRunTrainsAndScoresTheSameHeadAsALoadedOne()
    {
        var settings = new HeadTrainingSettings
        {
            Kind = Head.SoftmaxRegressionKind,
            Softmax = new SoftmaxRegressionSettings { C = 0.05 },
            Calibrate = true,
            Compute = new ComputeOptions { DegreeOfParallelism = 2 },
        };
        var plan = _dataset.PlanSplits();
        var inMemory = HeadTrainingRun.Train(_dataset, plan, settings with { Budget = new MemoryBudget(1L << 30) });
        var streamed = HeadTrainingRun.Train(_dataset, plan, settings with { Budget = new MemoryBudget(1L << 20) });
        Assert.Multiple(() =>
        {
            Assert.That(streamed.Placements[0].Placement, Does.StartWith("streamed"));
            Assert.That(inMemory.Placements[0].Placement, Does.StartWith("in memory"));
            Assert.That(streamed.Head.Layers[0].Weights, Is.EqualTo(inMemory.Head.Layers[0].Weights));
            Assert.That(streamed.Head.Training!.Calibration!.Temperature, Is.EqualTo(inMemory.Head.Training!.Calibration!.Temperature));
            Assert.That(streamed.Metrics.Select(m => m.LogLoss), Is.EqualTo(inMemory.Metrics.Select(m => m.LogLoss)));
            Assert.That(streamed.EvaluationBeforeCalibration!.LogLoss, Is.EqualTo(inMemory.EvaluationBeforeCalibration!.LogLoss));
        });
    }
}
