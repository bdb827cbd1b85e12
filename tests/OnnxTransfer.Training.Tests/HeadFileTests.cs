using OnnxTransfer.TestSupport;
using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Heads;
using OnnxTransfer.Training.Linear;
using OnnxTransfer.Training.Mlp;

namespace OnnxTransfer.Training.Tests;

public class HeadFileTests
{
    [Test]
    public void HeadsRoundTripBitForBit()
    {
        var train = new BlobProblem(10, 3, 2.0, 51).Sample(200, 52);
        var heads = new[]
        {
            new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { Preprocessing = PreprocessingKind.L2NormalizeThenStandardize }).Fit(train),
            new MlpTrainer(new MlpSettings { HiddenLayers = [8, 4], Activation = Activation.Gelu, Epochs = 3 }).Fit(train),
        };
        using var temp = new TempDirectory();
        foreach (var head in heads)
        {
            var path = temp.File(head.Kind + ".json");
            HeadFile.Save(head, path);
            var loaded = HeadFile.Load(path);
            Assert.That(loaded.Kind, Is.EqualTo(head.Kind));
            Assert.That(loaded.Labels, Is.EqualTo(head.Labels));
            Assert.That(SoftmaxRegressionTests.HeadBytes(loaded), Is.EqualTo(SoftmaxRegressionTests.HeadBytes(head)));
            Assert.That(loaded.Preprocessing.L2Normalize, Is.EqualTo(head.Preprocessing.L2Normalize));
            Assert.That(loaded.Layers.Select(l => l.Activation), Is.EqualTo(head.Layers.Select(l => l.Activation)));
            Assert.That(loaded.PredictProba(train), Is.EqualTo(head.PredictProba(train)));
            Assert.That(loaded.Training!.Settings, Is.EqualTo(head.Training!.Settings));
            Assert.That(loaded.Training.TrainingRowsPerClass, Is.EqualTo(head.Training.TrainingRowsPerClass));
            if (head.Training.History is { } history)
            {
                Assert.That(loaded.Training.History!.BestEpoch, Is.EqualTo(history.BestEpoch));
                Assert.That(loaded.Training.History.Epochs.Select(e => e.TrainLoss), Is.EqualTo(history.Epochs.Select(e => e.TrainLoss)));
            }
            else
            {
                Assert.That(loaded.Training.Optimization, Is.EqualTo(head.Training.Optimization));
            }
        }
    }

    [Test]
    public void FewLabelsHeadsRoundTripWithTheirVote()
    {
        var train = HymenopteraSplits.Train.Select(FewShot.FewShotCurve.DrawRows(HymenopteraSplits.Train, 8, seed: 0, draw: 0), "train-8-shot");
        var val = HymenopteraSplits.Val;
        using var temp = new TempDirectory();
        foreach (var head in new[] { new FewShot.NearestCentroidTrainer().Fit(train), new FewShot.NearestNeighboursTrainer(5).Fit(train) })
        {
            var path = temp.File(head.Kind + ".json");
            HeadFile.Save(head, path);
            var loaded = HeadFile.Load(path);
            Assert.That(loaded.Kind, Is.EqualTo(head.Kind));
            Assert.That((loaded.Vote?.K, loaded.Vote?.Scale, loaded.Vote?.RowLabels), Is.EqualTo((head.Vote?.K, head.Vote?.Scale, head.Vote?.RowLabels)));
            Assert.That(loaded.PredictProba(val), Is.EqualTo(head.PredictProba(val)));
            if (head.Vote is not null) Assert.That(File.ReadAllText(path), Does.Contain("\"weighting\": \"softmax-cosine\""));
        }
    }

    [Test]
    public void DamagedOrForeignFilesAreRefusedWithTheReason()
    {
        using var temp = new TempDirectory();
        var path = temp.File("head.json");
        File.WriteAllText(path, "{\"format\": \"something-else\"}");
        Assert.That(Assert.Throws<FormatException>(() => HeadFile.Load(path))!.Message, Does.Contain("not an onnxtransfer-head file"));
        File.WriteAllText(path, "{\"format\": \"onnxtransfer-head\", \"version\": 9}");
        Assert.That(Assert.Throws<FormatException>(() => HeadFile.Load(path))!.Message, Does.Contain("version 9 is not supported"));
        File.WriteAllText(path, "not json");
        Assert.That(Assert.Throws<FormatException>(() => HeadFile.Load(path))!.Message, Does.Contain("not valid JSON"));

        var train = new BlobProblem(4, 2, 2.0, 53).Sample(40, 54);
        HeadFile.Save(new SoftmaxRegressionTrainer().Fit(train), path);
        var text = File.ReadAllText(path).Replace("\"outputs\": 2", "\"outputs\": 3");
        File.WriteAllText(path, text);
        Assert.That(Assert.Throws<FormatException>(() => HeadFile.Load(path))!.Message, Does.Contain("damaged head file"));
    }
}
