using OnnxTransfer.Training.FewShot;

namespace OnnxTransfer.Training.Tests;

/// <summary>
/// The few-shot accuracy curve (what <c>train --few-shot-curve</c> reports) on the real hymenoptera embeddings: its five
/// points, the draws behind them (stratified, nested, from the training split only, reproducible from the seed) and
/// the shape more labels must give it.
/// </summary>
public class FewShotCurveTests
{
    [TestCase("centroid")]
    [TestCase("knn")]
    public void HasFivePointsFromStratifiedNestedDrawsThatImproveWithMoreLabels(string kind)
    {
        var train = HymenopteraSplits.Train;
        var curve = new FewShotCurve(Fit(kind)).Run(train, HymenopteraSplits.Val);

        Assert.That(curve.Points.Select(p => p.Shots), Is.EqualTo(new[] { 1, 2, 4, 8, 16 }));
        Assert.That(curve.Fits, Has.Count.EqualTo(5 * FewShotCurve.DefaultDraws));
        Assert.That(curve.EvaluationRows, Is.EqualTo(HymenopteraSplits.Val.Count));
        foreach (var point in curve.Points)
        {
            TestContext.Out.WriteLine($"{kind} {point.Shots,2} per class: {point.Mean:F4} ± {point.StandardDeviation:F4} [{string.Join(" ", point.Accuracies.Select(a => a.ToString("F3")))}]");
            Assert.That(point.Accuracies, Has.Length.EqualTo(FewShotCurve.DefaultDraws));
            Assert.That(point.Accuracies, Has.All.InRange(0.0, 1.0));
            Assert.That(point.Mean, Is.EqualTo(point.Accuracies.Average()).Within(1e-12));
            Assert.That(point.StandardDeviation, Is.GreaterThanOrEqualTo(0));
        }
        foreach (var fit in curve.Fits)
        {
            // Stratified: exactly n rows of each class (hymenoptera's classes all have more than 16 training rows).
            var perClass = fit.Rows.GroupBy(r => train.LabelIndices[r]).ToDictionary(g => g.Key, g => g.Count());
            Assert.That(perClass.Keys, Is.EquivalentTo(Enumerable.Range(0, train.Classes.Count)));
            Assert.That(perClass.Values, Has.All.EqualTo(fit.Shots));
            Assert.That(fit.Rows, Is.Unique.And.Ordered.And.All.InRange(0, train.Count - 1));
            // Nested within a draw: the n-shot rows are among the 2n-shot rows.
            var larger = curve.Fits.FirstOrDefault(f => f.Draw == fit.Draw && f.Shots == fit.Shots * 2);
            if (larger is not null) Assert.That(larger.Rows, Is.SupersetOf(fit.Rows));
        }
        // Draws are from train only: no drawn training row's id is an evaluation row's id.
        var evaluationIds = HymenopteraSplits.Val.Ids!.ToHashSet();
        Assert.That(curve.Fits.SelectMany(f => f.Rows).Select(r => train.Ids![r]), Has.None.Matches<string>(evaluationIds.Contains));
        // Different draws differ (else the sd would say nothing).
        Assert.That(curve.Fits.Where(f => f.Shots == 1).Select(f => string.Join(",", f.Rows)).Distinct().Count(), Is.GreaterThan(1));
        // More labels help: 16 per class beats 1 per class on average, and spreads less across draws.
        Assert.That(curve.Points[^1].Mean, Is.GreaterThan(curve.Points[0].Mean));
        Assert.That(curve.Points[^1].StandardDeviation, Is.LessThan(curve.Points[0].StandardDeviation));
    }

    [Test]
    public void TheSameSeedDrawsTheSameRowsAndAnotherSeedOthers()
    {
        var train = HymenopteraSplits.Train;
        var first = new FewShotCurve(Fit("centroid"), seed: 3).Run(train, HymenopteraSplits.Val);
        var again = new FewShotCurve(Fit("centroid"), seed: 3).Run(train, HymenopteraSplits.Val);
        var other = new FewShotCurve(Fit("centroid"), seed: 4).Run(train, HymenopteraSplits.Val);

        Assert.That(again.Fits.Select(f => f.Rows), Is.EqualTo(first.Fits.Select(f => f.Rows)));
        Assert.That(again.Points.Select(p => p.Mean), Is.EqualTo(first.Points.Select(p => p.Mean)));
        Assert.That(other.Fits.Select(f => string.Join(",", f.Rows)), Is.Not.EqualTo(first.Fits.Select(f => string.Join(",", f.Rows))));
        Assert.That(FewShotCurve.DrawRows(train, 4, seed: 3, draw: 2), Is.EqualTo(first.Fits.Single(f => f.Shots == 4 && f.Draw == 2).Rows));
    }

    private static Func<Data.EmbeddingSet, Heads.Head> Fit(string kind) =>
        kind == "knn" ? set => new NearestNeighboursTrainer().Fit(set) : set => new NearestCentroidTrainer().Fit(set);
}
