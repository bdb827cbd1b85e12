using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Compute;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;
using OnnxTransfer.Training.Selection;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// Training on a split streamed from Parquet (as for caches larger than memory) against loading it. The real cache's
/// training rows are written nine times over (distinct ids) in 50-row row groups, so the 2205 training rows stream in
/// two chunks (2048 + 157) and row groups straddle the chunk boundary.
/// </summary>
[NonParallelizable]
public class StreamingTests
{
    private const int Copies = 9;
    private const long TwoThousandRowChunks = 2048L * HymenopteraCache.Dimension * sizeof(float);
    private TempDirectory _temp = null!;
    private EmbeddingDataset _dataset = null!;

    [OneTimeSetUp]
    public void WriteLargerCache()
    {
        _temp = new TempDirectory();
        var rows = Enumerable.Range(0, Copies)
            .SelectMany(copy => HymenopteraCache.Rows.Where(r => r.Split == "train" || copy == 0).Select(r => r with { Id = $"{r.Id}#{copy}" }))
            .ToArray();
        HymenopteraCache.WriteParts(_temp.Path, rows, HymenopteraCache.Fingerprint, partRows: 700, rowGroupRows: 50);
        _dataset = EmbeddingDataset.Open(_temp.Path);
    }

    [OneTimeTearDown]
    public void Delete() => _temp.Dispose();

    [Test]
    public void StreamedSoftmaxRegressionEqualsTheInMemoryFitBitForBit()
    {
        var streamed = _dataset.Stream("train", chunkBytes: TwoThousandRowChunks);
        Assert.That(streamed.ChunkRows, Is.EqualTo(2048));
        Assert.That(streamed.Count, Is.EqualTo(2205));
        var loaded = _dataset.Load("train");

        var trainer = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.05 }, new ComputeOptions { DegreeOfParallelism = 2 });
        var inMemory = trainer.Fit(loaded);
        var fromStream = trainer.Fit(streamed);
        var a = inMemory.Layers[0];
        var b = fromStream.Layers[0];
        double maxDiff = 0;
        for (int i = 0; i < a.Weights.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(a.Weights[i] - b.Weights[i]));
        TestContext.Out.WriteLine($"in memory: {inMemory.Training!.Optimization!.Iterations} iterations, {inMemory.Training.Seconds:F2} s; " +
                                  $"streamed: {fromStream.Training!.Optimization!.Iterations} iterations, {fromStream.Training.Seconds:F2} s, " +
                                  $"{streamed.Passes} passes over the parts; max |ΔW| = {maxDiff:G3}");
        Assert.Multiple(() =>
        {
            Assert.That(b.Weights, Is.EqualTo(a.Weights), "weights");
            Assert.That(b.Bias, Is.EqualTo(a.Bias), "bias");
            Assert.That(fromStream.Preprocessing.Mean, Is.EqualTo(inMemory.Preprocessing.Mean), "streamed statistics");
            Assert.That(fromStream.Preprocessing.Scale, Is.EqualTo(inMemory.Preprocessing.Scale));
            Assert.That(streamed.Passes, Is.EqualTo(2 + fromStream.Training.Optimization.FunctionEvaluations), "two statistics passes, one per evaluation");
        });
    }

    [Test]
    public void StreamedCrossValidatedSweepChoosesAsInMemory()
    {
        var sweep = new SoftmaxRegressionSweep(grid: SoftmaxRegressionSweep.LogGrid(1e-2, 1, 3), validation: ValidationScheme.KFold(2),
            compute: new ComputeOptions { DegreeOfParallelism = 2 });
        var inMemory = sweep.Fit(_dataset.Load("train"));
        var streamed = sweep.Fit(_dataset.Stream("train", chunkBytes: TwoThousandRowChunks));
        Assert.That(streamed.BestIndex, Is.EqualTo(inMemory.BestIndex));
        for (int p = 0; p < inMemory.Points.Count; p++)
            Assert.That(streamed.Points[p].FoldScores, Is.EqualTo(inMemory.Points[p].FoldScores), inMemory.Points[p].Name);
        Assert.That(streamed.Head.Layers[0].Weights, Is.EqualTo(inMemory.Head.Layers[0].Weights));
        Assert.That(inMemory.Points.All(p => p.MeanFitSeconds > 0), Is.True, "fit times are reported");
    }

    [Test]
    public void StreamedEvaluationEqualsInMemoryEvaluation()
    {
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { C = 0.05 }).Fit(_dataset.Load("train"));
        var inMemory = ClassificationMetrics.Evaluate(head, _dataset.Load("val"));
        var streamed = ClassificationMetrics.Evaluate(head, _dataset.Stream("val", chunkBytes: TwoThousandRowChunks));
        Assert.That(streamed.Accuracy, Is.EqualTo(inMemory.Accuracy));
        Assert.That(streamed.LogLoss, Is.EqualTo(inMemory.LogLoss));
        Assert.That(streamed.ConfusionMatrix, Is.EqualTo(inMemory.ConfusionMatrix));
        Assert.That(inMemory.Accuracy, Is.GreaterThan(0.9));
    }

    [Test]
    public void StreamedMlpConvergesLikeTheInMemoryMlp()
    {
        var settings = new MlpSettings { HiddenLayers = [128], Epochs = 8, Dropout = 0.2, Seed = 3, BatchSize = 64 };
        var trainer = new MlpTrainer(settings, new ComputeOptions { DegreeOfParallelism = 2 });
        var streamed = _dataset.Stream("train", chunkBytes: TwoThousandRowChunks);
        var inMemory = trainer.Fit(_dataset.Load("train"));
        var fromStream = trainer.Fit(streamed);
        var val = _dataset.Load("val");
        double accuracyInMemory = ClassificationMetrics.Evaluate(inMemory, val).Accuracy;
        double accuracyStreamed = ClassificationMetrics.Evaluate(fromStream, val).Accuracy;
        var historyA = inMemory.Training!.History!;
        var historyB = fromStream.Training!.History!;
        TestContext.Out.WriteLine($"val accuracy in memory {accuracyInMemory:P1} (best epoch {historyA.BestEpoch}, val loss {historyA.Epochs[historyA.BestEpoch - 1].ValidationLoss:F4}), " +
                                  $"streamed {accuracyStreamed:P1} (best epoch {historyB.BestEpoch}, val loss {historyB.Epochs[historyB.BestEpoch - 1].ValidationLoss:F4}); " +
                                  $"{streamed.Passes} passes");
        Assert.Multiple(() =>
        {
            Assert.That(historyB.ValidationRows, Is.EqualTo(historyA.ValidationRows), "the same stratified carve-out");
            Assert.That(fromStream.Preprocessing.Mean, Is.EqualTo(inMemory.Preprocessing.Mean), "statistics of the same rows");
            Assert.That(accuracyStreamed, Is.GreaterThan(0.9));
            Assert.That(Math.Abs(accuracyStreamed - accuracyInMemory), Is.LessThanOrEqualTo(0.03));
            Assert.That(historyB.Epochs[0].TrainLoss, Is.GreaterThan(historyB.Epochs[^1].TrainLoss), "training loss falls");
        });
    }

    [Test]
    public void StreamedNonFiniteRowsAreRefusedWithTheirId()
    {
        using var temp = new TempDirectory();
        var rows = HymenopteraCache.Rows.ToArray();
        var broken = (float[])rows[40].Embedding.Clone();
        broken[3] = float.PositiveInfinity;
        rows[40] = rows[40] with { Embedding = broken };
        HymenopteraCache.WriteParts(temp.Path, rows, null);
        var split = EmbeddingDataset.Open(temp.Path).Stream("train", chunkBytes: TwoThousandRowChunks);
        var error = Assert.Throws<TrainingDataException>(() => new SoftmaxRegressionTrainer().Fit(split))!;
        Assert.That(error.Message, Does.Contain($"id '{rows[40].Id}'").And.Contain("embedding element 3 is"));
        Assert.That(error.Split, Is.EqualTo("train"));
    }

    [Test]
    public void MemoryBudgetDecidesAndParses()
    {
        Assert.Multiple(() =>
        {
            Assert.That(MemoryBudget.Parse("4GiB").Bytes, Is.EqualTo(4L << 30));
            Assert.That(MemoryBudget.Parse("512M").Bytes, Is.EqualTo(512L << 20));
            Assert.That(MemoryBudget.Parse("1.5 GB").Bytes, Is.EqualTo(3L << 29));
            Assert.That(MemoryBudget.Parse("25%").Bytes, Is.GreaterThan(0));
            Assert.That(new MemoryBudget(16L << 20).Fits(_dataset.FeatureBytes("train")), Is.False, "2205 × 1280 floats × 2 copies > 16 MiB");
            Assert.That(new MemoryBudget(32L << 20).Fits(_dataset.FeatureBytes("train")), Is.True);
            Assert.That(MemoryBudget.Format(3L << 29), Is.EqualTo("1.5 GiB"));
        });
        var error = Assert.Throws<FormatException>(() => MemoryBudget.Parse("lots"))!;
        Assert.That(error.Message, Does.Contain("4GiB").And.Contain("25%"));
        Assert.Throws<FormatException>(() => MemoryBudget.Parse("10KB"), "below 1 MiB");
    }
}
