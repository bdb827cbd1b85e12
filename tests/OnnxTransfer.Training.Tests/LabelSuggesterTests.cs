using OnnxTransfer.Training.FewShot;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// Active labelling on the real hymenoptera embeddings: in a simulated loop (start from 1 label per class of the train
/// split, label 4 more per round for 8 rounds, refit, score on val), rows chosen by <see cref="LabelSuggester"/>
/// (each predicted class's labelled mean moved towards that class's mean over all rows) give a mean val accuracy over 5
/// seeds at least that of rows drawn at random after every round, and a better one averaged over the rounds, for both
/// few-labels heads. (The earlier (1 − margin) × density × spread rule lost at some rounds: k-NN 0.740 vs 0.776 at 10
/// labels, centroid 0.915 vs 0.925 at 18.)
/// </summary>
public class LabelSuggesterTests
{
    [TestCase("centroid")]
    [TestCase("knn")]
    public void SuggestedLabelsMatchOrBeatRandomLabelsAfterEveryRound(string kind)
    {
        var simulation = new LabellingSimulation(1, 4, 8, set => kind == "centroid" ? new NearestCentroidTrainer().Fit(set) : new NearestNeighboursTrainer().Fit(set));
        var suggested = new List<double[]>();
        var random = new List<double[]>();
        for (int seed = 0; seed < 5; seed++)
        {
            var (s, r) = simulation.Run(HymenopteraSplits.Train, HymenopteraSplits.Val, seed);
            suggested.Add(s.Accuracy);
            random.Add(r.Accuracy);
            Assert.That(s.Labels, Is.EqualTo(new[] { 2, 6, 10, 14, 18, 22, 26, 30, 34 }));
        }
        double[] Mean(List<double[]> curves) => Enumerable.Range(0, curves[0].Length).Select(i => curves.Average(c => c[i])).ToArray();
        var meanSuggested = Mean(suggested);
        var meanRandom = Mean(random);
        TestContext.Out.WriteLine($"{kind}: labels      " + string.Join(" ", new[] { 2, 6, 10, 14, 18, 22, 26, 30, 34 }.Select(n => $"{n,6}")));
        TestContext.Out.WriteLine($"{kind}: suggest acc " + string.Join(" ", meanSuggested.Select(a => $"{a,6:F3}")));
        TestContext.Out.WriteLine($"{kind}: random acc  " + string.Join(" ", meanRandom.Select(a => $"{a,6:F3}")));
        Assert.That(meanSuggested[0], Is.EqualTo(meanRandom[0]), "both start from the same labels");
        for (int round = 1; round < meanSuggested.Length; round++)
            Assert.That(meanSuggested[round], Is.GreaterThanOrEqualTo(meanRandom[round] - 1e-12), $"after round {round} ({2 + 4 * round} labels)");
        // After the first round, averaged over the rounds: the area under the curve.
        Assert.That(meanSuggested.Skip(1).Average(), Is.GreaterThan(meanRandom.Skip(1).Average()));
    }
}
