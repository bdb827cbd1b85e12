using OnnxTransfer.Training.Data;
using OnnxTransfer.Training.Linear;

namespace OnnxTransfer.Training.Tests;

public class DegenerateInputTests
{
    [Test]
    public void OneClassOnlyIsRefused()
    {
        var set = EmbeddingSet.Create("train", new float[] { 1, 2, 3, 4 }, 2, ["ants", "ants"]);
        var error = Assert.Throws<TrainingDataException>(() => new SoftmaxRegressionTrainer().Fit(set));
        Assert.That(error!.Message, Does.Contain("one class only ('ants', 2 rows)"));
        Assert.That(error.Split, Is.EqualTo("train"));
    }

    [Test]
    public void ClassWithoutTrainingRowsIsRefused()
    {
        var set = EmbeddingSet.Create("train", new float[] { 1, 2, 3, 4, 5, 6 }, 2, ["ants", "bees", "ants"], classes: ["ants", "bees", "wasps"]);
        var error = Assert.Throws<TrainingDataException>(() => new SoftmaxRegressionTrainer().Fit(set));
        Assert.That(error!.Message, Does.Contain("Class 'wasps' has no rows in split 'train'"));
    }

    [Test]
    public void NonFiniteEmbeddingNamesTheRow()
    {
        var features = new float[] { 1, 2, 3, float.NaN, 5, 6 };
        var error = Assert.Throws<TrainingDataException>(() =>
            EmbeddingSet.Create("val", features, 2, ["a", "b", "a"], ids: ["x.jpg", "y.jpg", "z.jpg"]));
        Assert.That(error!.Message, Does.Contain("row 1 (id 'y.jpg')").And.Contain("element 1 is NaN"));
        Assert.That(error.Row, Is.EqualTo(1));
        var infinity = Assert.Throws<TrainingDataException>(() => EmbeddingSet.Create("val", new float[] { 1, float.PositiveInfinity }, 2, ["a"]));
        Assert.That(infinity!.Message, Does.Contain("row 0").And.Contain("∞").Or.Contain("Infinity"));
    }

    [Test]
    public void MismatchedLengthsAreRefused()
    {
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingSet.Create("train", new float[7], 2, ["a", "b", "a"]));
        Assert.That(error!.Message, Does.Contain("7 floats do not hold 3 rows of dimension 2"));
    }

    [Test]
    public void EmptySplitIsRefused()
    {
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingSet.Create("test", [], 4, []));
        Assert.That(error!.Message, Does.Contain("Split 'test' is empty"));
    }

    [Test]
    public void HeadRefusesSplitOfAnotherDimension()
    {
        var train = new BlobProblem(6, 2, 2.0, 1).Sample(50, 2);
        var head = new SoftmaxRegressionTrainer().Fit(train);
        var other = new BlobProblem(8, 2, 2.0, 1).Sample(10, 3, "test");
        var error = Assert.Throws<TrainingDataException>(() => head.PredictProba(other));
        Assert.That(error!.Message, Does.Contain("8-d embeddings but the head takes 6-d"));
        Assert.Throws<ArgumentException>(() => head.PredictProba(new float[7]));
    }

    [Test]
    public void NumericLabelsThatAreNotHeadLabelsAreExplained()
    {
        var features = new float[] { 1, 2, 3, 4 };
        var error = Assert.Throws<TrainingDataException>(() => EmbeddingSet.Create("test", features, 2, ["0", "1"], classes: ["ants", "bees"]));
        Assert.That(error!.Message, Does.Contain("label '0' is not in the class list [ants, bees]").And.Contain("class numbers"));
        var indices = Assert.Throws<TrainingDataException>(() => EmbeddingSet.FromClassIndices("test", features, 2, [0, 2], ["ants", "bees"]));
        Assert.That(indices!.Message, Does.Contain("class index 2 is outside 0..1"));
    }

    [Test]
    public void ClassListIsSortedOrdinallyAndStoredInTheHead()
    {
        // Numbers as strings sort ordinally ("10" before "9"); the head keeps exactly that list.
        var features = new float[] { 0, 1, 1, 0, 5, 5, 0, 0 };
        var set = EmbeddingSet.Create("train", features, 2, ["9", "10", "b", "B"]);
        Assert.That(set.Classes, Is.EqualTo(new[] { "10", "9", "B", "b" }));
        var head = new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { Preprocessing = PreprocessingKind.None }).Fit(set);
        Assert.That(head.Labels, Is.EqualTo(set.Classes));
    }

    [Test]
    public void TrainersNeverModifyTheCallersSplits()
    {
        var problem = new BlobProblem(6, 3, 2.0, 3);
        var train = problem.Sample(150, 4);
        var validation = problem.Sample(60, 5, "val");
        var trainCopy = train.Features.ToArray();
        var validationCopy = validation.Features.ToArray();
        new SoftmaxRegressionTrainer(new SoftmaxRegressionSettings { Preprocessing = PreprocessingKind.L2NormalizeThenStandardize }).Fit(train);
        new Mlp.MlpTrainer(new Mlp.MlpSettings { HiddenLayers = [4], Epochs = 1, ValidationFraction = 0.2 }).Fit(train);
        new Mlp.MlpTrainer(new Mlp.MlpSettings { HiddenLayers = [4], Epochs = 1 }).Fit(train, validation);
        new Selection.SoftmaxRegressionSweep(grid: [0.1, 1]).Fit(train);
        new Selection.SoftmaxRegressionSweep(grid: [0.1, 1]).Fit(train, validation);
        new Selection.MlpSweep([new Mlp.MlpSettings { HiddenLayers = [4], Epochs = 1 }], Selection.ValidationScheme.KFold(3)).Fit(train);
        Assert.That(train.Features.ToArray(), Is.EqualTo(trainCopy));
        Assert.That(validation.Features.ToArray(), Is.EqualTo(validationCopy));
    }

    [Test]
    public void UnknownExplicitClassWeightIsRefused()
    {
        var train = new BlobProblem(4, 2, 2.0, 1).Sample(20, 2);
        var settings = new SoftmaxRegressionSettings { ClassWeights = ClassWeighting.Explicit(new Dictionary<string, double> { ["clas00"] = 2 }) };
        var error = Assert.Throws<TrainingDataException>(() => new SoftmaxRegressionTrainer(settings).Fit(train));
        Assert.That(error!.Message, Does.Contain("'clas00', which is not a class"));
        Assert.Throws<ArgumentException>(() => ClassWeighting.Explicit(new Dictionary<string, double> { ["a"] = 0 }));
    }
}
