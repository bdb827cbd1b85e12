using OnnxTransfer.Training.Audit;

namespace OnnxTransfer.Training.Tests;

/// <summary>Confident learning and slice intervals on small hand-worked inputs (the figures are derived in the comments).</summary>
public class ConfidentLearningTests
{
    [Test]
    public void ThresholdsJointIssuesAndRankingFollowTheDefinition()
    {
        float[] p =
        [
            0.9f, 0.1f,
            0.8f, 0.2f,
            0.1f, 0.9f, // labelled 0, confidently 1: an issue
            0.2f, 0.8f,
            0.3f, 0.7f,
            0.6f, 0.4f, // labelled 1, confidently 0 (0.6 ≥ t0 = 0.6; 0.4 < t1): an issue
        ];
        int[] labels = [0, 0, 0, 1, 1, 1];
        var result = ConfidentLearning.Analyse(p, labels, 2);

        // t0 = (0.9 + 0.8 + 0.1) / 3, t1 = (0.8 + 0.7 + 0.4) / 3.
        Assert.That(result.Thresholds[0], Is.EqualTo(0.6).Within(1e-6));
        Assert.That(result.Thresholds[1], Is.EqualTo(1.9 / 3).Within(1e-6));
        Assert.That(result.ConfidentJoint, Is.EqualTo(new[] { 2, 1, 1, 2 }));
        Assert.That(result.IsIssue, Is.EqualTo(new[] { false, false, true, false, false, true }));
        Assert.That(result.ConfidentClass, Is.EqualTo(new[] { 0, 0, 1, 1, 1, 0 }));
        // Self-confidence 0.9 0.8 0.1 0.8 0.7 0.4: ascending, the tie at 0.8 by row.
        Assert.That(result.Ranking(), Is.EqualTo(new[] { 2, 5, 4, 1, 3, 0 }));
    }

    [Test]
    public void ARowConfidentOfNoClassIsNeitherCountedNorFlagged()
    {
        // Three classes; row 3 (labelled 0) has every probability below its class's threshold.
        float[] p =
        [
            0.9f, 0.05f, 0.05f,
            0.05f, 0.9f, 0.05f,
            0.05f, 0.05f, 0.9f,
            0.34f, 0.33f, 0.33f,
        ];
        var result = ConfidentLearning.Analyse(p, [0, 1, 2, 0], 3);
        Assert.That(result.ConfidentClass[3], Is.EqualTo(-1));
        Assert.That(result.ConfidentJoint.Sum(), Is.EqualTo(3));
        Assert.That(result.IssueCount, Is.Zero);
    }

    [Test]
    public void ASliceWithConcentratedErrorsIsMarked()
    {
        var correct = new bool[150];
        var values = new string?[150];
        for (int i = 0; i < 100; i++) (correct[i], values[i]) = (i % 20 != 0, "day");  // 95% correct
        for (int i = 100; i < 150; i++) (correct[i], values[i]) = (i % 2 == 0, "night"); // 50% correct
        values[149] = null;

        var report = SliceMetrics.Evaluate("camera", correct, values, 1000, seed: 3);
        var again = SliceMetrics.Evaluate("camera", correct, values, 1000, seed: 3);

        Assert.That(report.Slices.Select(s => s.Value), Is.EqualTo(new[] { SliceMetrics.MissingValue, "day", "night" }));
        var day = report.Slices[1];
        var night = report.Slices[2];
        Assert.That((day.Rows, day.Errors, night.Rows), Is.EqualTo((100, 5, 49)));
        Assert.That(night.Concentrated, Is.True, $"night [{night.Low}, {night.High}] vs all {report.Accuracy}");
        Assert.That(day.Concentrated, Is.False);
        foreach (var s in report.Slices) Assert.That(s.Low, Is.LessThanOrEqualTo(s.Accuracy).And.LessThanOrEqualTo(s.High));
        Assert.That(again, Is.EqualTo(report).Using<SliceReport>((a, b) => a.Slices.SequenceEqual(b.Slices)), "same seed, same intervals");
    }
}
