using OnnxTransfer.TestCaches;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Evaluation;
using OnnxTransfer.Training.FewShot;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Ood;
using OnnxTransfer.Training.Selection;
using OnnxTransfer.Training.Workflow;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// Training on a cache with views (<c>extract --views hflip</c>): the real hymenoptera embeddings of every image and of
/// its mirror (the shared MobileNetV2 on the width-reversed tensor), one row each with a <c>view</c> column. Splits are
/// by input, never by row: folds and hold-outs keep an input's views together; evaluation scores the original view
/// and, as test-time augmentation, the mean of the probabilities over the views; without views nothing changes.
/// </summary>
public class ViewTrainingTests
{
    private TempDirectory _folder = null!;
    private EmbeddingDataset _views = null!;

    [OneTimeSetUp]
    public void WriteViewCache()
    {
        _folder = new TempDirectory("training-views");
        var original = HymenopteraCache.Rows;
        var mirrored = HymenopteraCache.MirroredRows;
        Assert.That(mirrored.Select(r => r.Id), Is.EqualTo(original.Select(r => r.Id)));
        // As the extractor writes them: each input's views in consecutive rows, parts cut anywhere (an input may straddle two).
        var rows = original.Zip(mirrored).SelectMany(pair => new[] { pair.First, pair.Second }).ToArray();
        var views = rows.Select((_, i) => i % 2).ToArray();
        HymenopteraCache.WriteParts(_folder.Path, rows, HymenopteraCache.Fingerprint, partRows: 101, rowGroupRows: 33, views: views);
        _views = EmbeddingDataset.Open(_folder.Path);
    }

    [OneTimeTearDown]
    public void Remove() => _folder.Dispose();

    private static int Inputs(string split) => HymenopteraCache.Rows.Count(r => r.Split == split);

    [Test]
    public void ASplitLoadsItsOriginalViewUnlessEveryViewIsAskedFor()
    {
        Assert.That(_views.HasViews, Is.True);
        Assert.That(_views.ViewIds, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(_views.RowsIn("val"), Is.EqualTo(Inputs("val")));
        Assert.That(_views.RowsIn("val", ViewRows.All), Is.EqualTo(2 * Inputs("val")));

        var original = _views.Load("val");
        Assert.That(original.HasInputGroups, Is.False);
        Assert.That(original.Features.ToArray(), Is.EqualTo(HymenopteraSplits.Val.Features.ToArray()), "the original view is the cache without views");

        var every = _views.Load("val", views: ViewRows.All);
        Assert.That((every.Count, every.InputCount, every.HasInputGroups), Is.EqualTo((2 * Inputs("val"), Inputs("val"), true)));
        Assert.That(every.Ids!.Distinct(), Is.EquivalentTo(original.Ids!));
        var streamed = _views.Stream("val", views: ViewRows.All);
        Assert.That(streamed.GroupArray, Is.EqualTo(every.GroupArray));
    }

    [Test]
    public void FoldsAndHoldOutsDealInputsSoNoViewOfAHeldOutInputIsTrainedOn()
    {
        var train = _views.Load("train", views: ViewRows.All);
        var groups = train.GroupArray!;
        var folds = StratifiedSplit.Folds(train, 5, seed: 3);
        foreach (var input in groups.Distinct())
            Assert.That(Enumerable.Range(0, groups.Length).Where(r => groups[r] == input).Select(r => folds[r]).Distinct().Count(), Is.EqualTo(1),
                $"input {train.Ids![Array.IndexOf(groups, input)]} lies in one fold");
        // Stratified by input: each fold holds ⌊n_c/5⌋ or ⌈n_c/5⌉ inputs of each class.
        for (int c = 0; c < train.Classes.Count; c++)
        {
            int classInputs = groups.Where((_, r) => train.LabelIndices[r] == c).Distinct().Count();
            for (int fold = 0; fold < 5; fold++)
            {
                int inFold = groups.Where((_, r) => train.LabelIndices[r] == c && folds[r] == fold).Distinct().Count();
                Assert.That(inFold, Is.InRange(classInputs / 5, (classInputs + 4) / 5), $"class {train.Classes[c]}, fold {fold}");
            }
        }
        foreach (var scheme in new[] { ValidationScheme.KFold(5, 1), ValidationScheme.HoldOut(0.2, 1) })
        {
            foreach (var (fit, heldOut) in scheme.Partitions(train.Labelled))
            {
                Assert.That(fit.Select(r => groups[r]).Intersect(heldOut.Select(r => groups[r])), Is.Empty, scheme.Describe());
                Assert.That(heldOut.Length, Is.EqualTo(2 * heldOut.Select(r => groups[r]).Distinct().Count()), "both views of a held-out input are held out");
            }
        }
        // The MLP's early-stopping carve-out and the calibration share are hold-outs of inputs too.
        var (kept, carved) = StratifiedSplit.HoldOut(train, 0.1, seed: 0);
        Assert.That(kept.Select(r => groups[r]).Intersect(carved.Select(r => groups[r])), Is.Empty);
    }

    [Test]
    public void OodOutOfFoldScoresNeverFitOnAViewOfTheRowsTheyScore()
    {
        var train = _views.Load("train", views: ViewRows.All);
        var heldIds = new HashSet<string>();
        var scores = OodThreshold.OutOfFoldScores(train, OodThreshold.DefaultFolds, (fit, held) =>
        {
            Assert.That(fit.Ids!.Intersect(held.Ids!), Is.Empty, "a held-out input's mirror is in the fit rows");
            Assert.That(held.Ids!.Distinct().Count() * 2, Is.EqualTo(held.Count), "both views of a held-out input are held out together");
            heldIds.UnionWith(held.Ids!);
            return new float[held.Count];
        });
        Assert.That(scores, Has.Length.EqualTo(train.Count));
        Assert.That(heldIds, Has.Count.EqualTo(Inputs("train")), "every input scored once out of fold");
    }

    [TestCase(1)]
    [TestCase(4)]
    public void FewShotDrawsTakeInputsWithAllTheirViews(int shots)
    {
        var train = _views.Load("train", views: ViewRows.All);
        var rows = FewShotCurve.DrawRows(train, shots, seed: 3, draw: 1);
        var ids = rows.Select(r => train.Ids![r]).ToArray();
        Assert.That(ids.Distinct().Count(), Is.EqualTo(shots * train.Classes.Count), "n shots are n inputs per class");
        Assert.That(rows, Has.Length.EqualTo(2 * shots * train.Classes.Count), "each drawn input comes with its mirror");
        // Without views the draw is the same inputs as on the original rows alone.
        var originals = _views.Load("train");
        var plainIds = FewShotCurve.DrawRows(originals, shots, seed: 3, draw: 1).Select(r => originals.Ids![r]);
        Assert.That(ids.Distinct(), Is.EquivalentTo(plainIds));
    }

    [Test]
    public void TrainingLearnsFromEveryTrainingViewAndScoresTheOriginalEvaluationView()
    {
        var plan = _views.PlanSplits();
        var result = HeadTrainingRun.Train(_views, plan, new HeadTrainingSettings { Kind = Head.SoftmaxRegressionKind, SelectC = true, Calibrate = true });
        Assert.That(result.Head.Training!.TrainingRows, Is.EqualTo(2 * Inputs("train")), "every view of every training input");
        var evaluation = result.Metrics[^1];
        Assert.That((evaluation.Split, evaluation.Rows), Is.EqualTo(("val", Inputs("val"))), "evaluation: the original view of each input");
        var direct = ClassificationMetrics.Evaluate(result.Head, _views.Load("val", result.Head.Labels));
        Assert.That((evaluation.Accuracy, evaluation.LogLoss), Is.EqualTo((direct.Accuracy, direct.LogLoss)));
        Assert.That(result.Notes, Has.Some.Contains("every view of 'train'"));
        Assert.That(result.Notes, Has.Some.Contains("'val (tta)'"));
    }

    [Test]
    public void TestTimeAugmentationIsTheMeanOfThePerViewProbabilities()
    {
        var result = HeadTrainingRun.Train(_views, _views.PlanSplits(), new HeadTrainingSettings { Kind = Head.SoftmaxRegressionKind, SelectC = true, Calibrate = true });
        var tta = result.EvaluationOverViews!;
        Assert.That((tta.Split, tta.Rows), Is.EqualTo(("val (tta)", Inputs("val"))));

        // Independently: every view row of val through the head, probabilities averaged per id.
        var val = _views.Load("val", result.Head.Labels, ViewRows.All);
        var probabilities = result.Head.PredictProba(val);
        int k = result.Head.Labels.Count;
        var byId = new Dictionary<string, (double[] Sum, int Views, int Label)>();
        for (int row = 0; row < val.Count; row++)
        {
            var id = val.Ids![row];
            if (!byId.TryGetValue(id, out var entry)) entry = (new double[k], 0, val.LabelIndices[row]);
            for (int c = 0; c < k; c++) entry.Sum[c] += probabilities[row * k + c];
            byId[id] = (entry.Sum, entry.Views + 1, entry.Label);
        }
        Assert.That(byId.Values.Select(v => v.Views), Has.All.EqualTo(2));
        int correct = byId.Values.Count(v => Array.IndexOf(v.Sum, v.Sum.Max()) == v.Label);
        double logLoss = byId.Values.Average(v => -Math.Log(Math.Max(v.Sum[v.Label] / v.Views, ClassificationMetrics.LogLossFloor)));
        Assert.That(tta.Accuracy, Is.EqualTo((double)correct / byId.Count));
        Assert.That(tta.LogLoss, Is.EqualTo(logLoss).Within(1e-6));

        // And it differs from scoring one view: the mirror's probabilities really enter.
        var original = result.Metrics[^1];
        Assert.That(tta.LogLoss, Is.Not.EqualTo(original.LogLoss).Within(1e-6));
    }

    [Test]
    public void TrainingOnTheOriginalViewOnlyIsTrainingOnACacheWithoutViews()
    {
        var settings = new HeadTrainingSettings { Kind = Head.SoftmaxRegressionKind, SelectC = true, Calibrate = true };
        var plain = EmbeddingDataset.Open(HymenopteraCache.Directory);
        var without = HeadTrainingRun.Train(plain, plain.PlanSplits(), settings);
        var originalOnly = HeadTrainingRun.Train(_views, _views.PlanSplits(), settings with { TrainViews = ViewRows.Original });
        Assert.That(without.EvaluationOverViews, Is.Null, "no views, no test-time augmentation");
        Assert.That(plain.HasViews, Is.False);
        Assert.That(originalOnly.Head.Training!.TrainingRows, Is.EqualTo(Inputs("train")));
        Assert.That(originalOnly.Head.Layers[0].Weights, Is.EqualTo(without.Head.Layers[0].Weights), "the same rows give the same head, bit for bit");
        Assert.That(originalOnly.Metrics.Select(m => (m.Split, m.Accuracy, m.LogLoss)), Is.EqualTo(without.Metrics.Select(m => (m.Split, m.Accuracy, m.LogLoss))));
    }

    [Test]
    public void PartsWithAndWithoutViewsAreNotMixed()
    {
        using var mixed = new TempDirectory("training-views-mixed");
        var rows = HymenopteraCache.Rows.Take(40).ToArray();
        HymenopteraCache.WriteParts(mixed.Path, rows[..20], HymenopteraCache.Fingerprint, prefix: "part-a", views: new int[20]);
        HymenopteraCache.WriteParts(mixed.Path, rows[20..], HymenopteraCache.Fingerprint, prefix: "part-b");
        var refused = Assert.Throws<TrainingDataException>(() => EmbeddingDataset.Open(mixed.Path))!;
        Assert.That(refused.Message, Does.Contain("view column").And.Contain("mixed"));
    }
}
