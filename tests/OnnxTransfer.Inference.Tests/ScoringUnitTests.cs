using OnnxTransfer.Formats;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Scoring;

namespace OnnxTransfer.Inference.Tests;

/// <summary>The small pieces of scoring: shard assignment, error budgets, top-k selection, file names.</summary>
public class ScoringUnitTests
{
    [Test]
    public void ShardsParseAndSplitIdsByAStableHash()
    {
        Assert.That(ShardSpec.Parse("3/4"), Is.EqualTo(new ShardSpec(3, 4)));
        foreach (var bad in new[] { "4/4", "1", "-1/4", "a/b", "1/0", "" })
            Assert.Throws<FormatException>(() => ShardSpec.Parse(bad), bad);
        // FNV-1a 64 test vectors (the published ones for "" and "a"), so every machine and version agrees.
        Assert.That(ShardSpec.StableIdHash(""), Is.EqualTo(0xcbf29ce484222325UL));
        Assert.That(ShardSpec.StableIdHash("a"), Is.EqualTo(0xaf63dc4c8601ec8cUL));
        var ids = Enumerable.Range(0, 4000).Select(i => $"images/{i:D5}.jpg").ToArray();
        var shards = Enumerable.Range(0, 4).Select(k => new ShardSpec(k, 4)).ToArray();
        foreach (var id in ids) Assert.That(shards.Count(s => s.Contains(id)), Is.EqualTo(1), id);
        var sizes = shards.Select(s => ids.Count(s.Contains)).ToArray();
        Assert.That(sizes, Has.All.InRange(900, 1100), string.Join(", ", sizes));
        Assert.That(ShardSpec.All.Contains("anything"), Is.True);
    }

    [Test]
    public void ErrorBudgetsAreCountsFractionsOrPercentages()
    {
        Assert.That(ErrorBudget.Parse("10").AllowedFor(1000), Is.EqualTo(10));
        Assert.That(ErrorBudget.Parse("0.05").AllowedFor(1000), Is.EqualTo(50));
        Assert.That(ErrorBudget.Parse("5%").AllowedFor(1000), Is.EqualTo(50));
        Assert.That(ErrorBudget.Parse("0").IsExceeded(1, 10), Is.True);
        Assert.That(ErrorBudget.Parse("50%").IsExceeded(6, 12), Is.False);
        Assert.That(ErrorBudget.Default.IsExceeded(9, 10), Is.False);
        Assert.That(ErrorBudget.Default.IsExceeded(10, 10), Is.True, "every input failed: no success by default");
        foreach (var bad in new[] { "many", "-1", "150%", "1.5" })
            Assert.Throws<FormatException>(() => ErrorBudget.Parse(bad), bad);
    }

    [Test]
    public void TopKIsTheLargestValuesWithTiesInIndexOrder()
    {
        float[] row = [0.1f, 0.4f, 0.05f, 0.4f, 0.05f];
        Assert.That(TopKSelection.Select(row, 3), Is.EqualTo(new[] { 1, 3, 0 }));
        Assert.That(TopKSelection.Select(row, 5), Is.EqualTo(new[] { 1, 3, 0, 2, 4 }));
        Assert.That(TopKSelection.Select([float.NaN, 0.2f, 0.8f], 2), Is.EqualTo(new[] { 2, 1 }));
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var values = Enumerable.Range(0, 50).Select(_ => (float)random.Next(20)).ToArray();
            var expected = values.Select((v, i) => (v, i)).OrderByDescending(p => p.v).ThenBy(p => p.i).Take(7).Select(p => p.i);
            Assert.That(TopKSelection.Select(values, 7), Is.EqualTo(expected));
        }
    }

    [Test]
    public void PartNamesCarryTheShardSoWorkersNeverCollide()
    {
        Assert.That(ScoreLayout.PartName(3, ShardSpec.All, ScoreFormat.Parquet), Is.EqualTo("part-00003.parquet"));
        Assert.That(ScoreLayout.PartName(3, new ShardSpec(1, 4), ScoreFormat.Csv), Is.EqualTo("part-00003.shard-1-of-4.csv"));
        Assert.That(ScoreLayout.SuccessName(new ShardSpec(1, 4)), Is.EqualTo("_SUCCESS.shard-1-of-4"));
        Assert.That(ScoreLayout.TagOf("part-00003.shard-1-of-4.parquet"), Is.EqualTo("shard-1-of-4"));
        Assert.That(ScoreLayout.TagOf("part-00003.parquet"), Is.EqualTo(""));
        Assert.That(ScoreLayout.TagOf("_manifest.shard-2-of-4.json"), Is.EqualTo("shard-2-of-4"));
        Assert.That(ScoreLayout.TagOf("notes.txt"), Is.Null);
    }
}
