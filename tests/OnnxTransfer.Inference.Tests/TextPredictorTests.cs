using System.Collections.Concurrent;
using OnnxTransfer.Features.Inputs;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Inference.Prediction;
using OnnxTransfer.Inference.Scoring;
using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Input;

namespace OnnxTransfer.Inference.Tests;

/// <summary>The Predictor and the batch scorer on text models: single and batched texts agree, threads share one instance, bad rows become error rows.</summary>
[NonParallelizable]
public class TextPredictorTests
{
    [Test]
    public void OneAtATimeEqualsBatchedAndManyThreadsEqualOne()
    {
        var s = TextSst2.For();
        using var predictor = Predictor.FromFusedModel(s.FusedPath, new PredictorOptions { MaxBatchSize = 8 });
        predictor.WarmUp();
        var sentences = s.HeldOut[..40];
        var batched = predictor.PredictTexts(sentences);
        var single = sentences.Select(t => predictor.PredictText(t)).ToArray();
        Assert.That(TextSst2.MaxDifference(batched.SelectMany(p => p.Probabilities!).ToArray(), single.SelectMany(p => p.Probabilities!).ToArray()),
            Is.LessThan(2e-6), "padding to a batch's longest text changes only rounding");

        var results = new ConcurrentBag<(int, float[])>();
        Parallel.For(0, 8 * 25, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            results.Add((i % sentences.Length, predictor.PredictText(sentences[i % sentences.Length]).Probabilities!.ToArray())));
        foreach (var (i, probabilities) in results)
            Assert.That(probabilities, Is.EqualTo(single[i].Probabilities), $"sentence {i} on another thread");
    }

    [Test]
    public void LongTextsAreTruncatedAndTheWrongKindOfInputIsRefused()
    {
        var s = TextSst2.For();
        using var predictor = Predictor.FromBackbone(s.Spec, s.HeadModel);
        var longText = string.Join(' ', Enumerable.Repeat(s.Sentences[3], 20));
        var p = predictor.PredictText(longText, name: "long");
        Assert.That((p.Succeeded, p.Input), Is.EqualTo((true, "long")));
        Assert.That(p.Probabilities, Is.EqualTo(predictor.PredictText(string.Join(' ', Enumerable.Repeat(s.Sentences[3], 10))).Probabilities),
            "both are cut to the spec's 64 tokens");

        Assert.That(() => predictor.Predict(Path.Combine(SharedData.Hymenoptera, "val", "ants", "10308379_1b6c72e180.jpg")),
            Throws.InvalidOperationException.With.Message.Contains("PredictText"));
        Assert.That(() => predictor.PredictFiles(["x.jpg"]), Throws.InvalidOperationException);
        Assert.That(() => predictor.Preprocessing, Throws.InvalidOperationException);
        using var images = Predictor.FromFusedModel(Hymenoptera.Instance.FusedPath);
        Assert.That(() => images.PredictText("a text"), Throws.InvalidOperationException.With.Message.Contains("classifies images"));
    }

    [Test]
    public void ScoringATextFileWritesOneRowPerLineWithErrorRowsAndResumes()
    {
        var s = TextSst2.For();
        using var folder = new TempDirectory("inference-text-score");
        var path = folder.File("new.txt");
        var lines = s.HeldOut[..50].ToList();
        lines.Insert(10, "");
        lines.Insert(20, "   ");
        File.WriteAllLines(path, lines);
        var inputs = TextInputFiles.Open(path);
        using var predictor = Predictor.FromFusedModel(s.FusedPath, new PredictorOptions { MaxBatchSize = 8, AllowSpinning = false });
        var options = new ScoringOptions { RowsPerPart = 16, DecodeThreads = 2, TopK = 2 };

        var whole = folder.File("whole");
        var summary = new BatchScorer(predictor, options).Run(inputs, whole);
        Assert.That((summary.Succeeded, summary.ShardInputs, summary.Errors), Is.EqualTo((true, 52, 2L)), summary.ToString());
        Assert.That(summary.ErrorsByReason, Is.EqualTo(new Dictionary<string, int> { ["empty-text"] = 2 }));

        var rows = ScoreParts.Read(whole);
        Assert.That(rows.Count, Is.EqualTo(52));
        var expected = predictor.PredictTexts(s.HeldOut[..50]);
        var byText = lines.Select((t, i) => (Id: (i + 1).ToString(), Text: t)).ToDictionary(r => r.Id, r => r.Text);
        var worst = 0.0;
        foreach (var row in rows)
        {
            var text = byText[row.Id];
            if (string.IsNullOrWhiteSpace(text))
            {
                Assert.That(row.Error, Is.EqualTo("empty-text"), row.Id);
                continue;
            }
            var p = expected[Array.IndexOf(s.HeldOut, text)];
            Assert.That(row.Label, Is.EqualTo(p.Label), row.Id);
            worst = Math.Max(worst, Math.Abs(row.Probability - p.Probability));
        }
        Assert.That(worst, Is.LessThan(2e-6));

        // A stop after the first part, then a rerun: the same files as one run.
        var resumed = folder.File("resumed");
        using (var stop = new CancellationTokenSource())
        {
            var first = new BatchScorer(predictor, options).Run(inputs, resumed, new StopAfter(stop), stop.Token);
            Assert.That(first.Interrupted, Is.True);
        }
        Assert.That(new BatchScorer(predictor, options).Run(inputs, resumed).Succeeded, Is.True);
        foreach (var file in Directory.GetFiles(whole).Where(f => !Path.GetFileName(f).StartsWith('.')))
            Assert.That(File.ReadAllBytes(Path.Combine(resumed, Path.GetFileName(file))), Is.EqualTo(File.ReadAllBytes(file)), Path.GetFileName(file));

        // Image inputs given to a text model are error rows, not a crash.
        var imageRows = new BatchScorer(predictor, options).Run(InputSet.Open(Path.Combine(SharedData.Hymenoptera, "val", "ants")), folder.File("images"));
        Assert.That(imageRows.ErrorsByReason.Keys, Is.EqualTo(new[] { "not-a-text" }));
    }

    private sealed class StopAfter(CancellationTokenSource stop) : IProgress<ScoringProgress>
    {
        public void Report(ScoringProgress value) => stop.Cancel();
    }
}

/// <summary>Score parts read back with the Parquet library: id, label, probability, error.</summary>
internal static class ScoreParts
{
    public sealed record Row(string Id, string? Label, float Probability, string? Error);

    public static List<Row> Read(string folder)
    {
        var rows = new List<Row>();
        foreach (var group in Parquet.ParquetDataset.Open(folder).RowGroups())
        {
            var ids = group.ReadStrings("id");
            var labels = group.ReadStrings("label");
            var errors = group.ReadStrings("error");
            var probabilities = group.ReadColumn("probability");
            for (var i = 0; i < ids.Length; i++)
                rows.Add(new Row(ids[i]!, labels[i], probabilities.IsValueNull(i) ? float.NaN : Convert.ToSingle(probabilities.Values.GetValue(i)), errors[i]));
        }
        return rows;
    }
}
