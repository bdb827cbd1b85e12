using System.Diagnostics;
using System.Text.Json;
using OnnxTransfer.Features.Backbones;
using OnnxTransfer.Features.Cache;
using OnnxTransfer.Features.Specs;
using OnnxTransfer.Parquet;
using OnnxTransfer.TestSupport;
using OnnxTransfer.TestSupport.Models;

namespace OnnxTransfer.Cli.Tests;

/// <summary>
/// Acceptance for text backbones, through the built CLI as users run it: <c>extract</c> SST-2 lines with the test BERT
/// (random weights) into a cache, <c>train</c> a head, <c>compose</c> the fused model, <c>score</c> held-out sentences
/// with it and with the chained backbone + head (the same probabilities), <c>predict</c> sentences; refusals of mixed-up
/// inputs; a killed text extraction rerun to the rows of an uninterrupted one.
/// </summary>
[NonParallelizable]
public class TextFlowTests
{
    private const int TrainLines = 1200;
    private const int HeldOutLines = 400;
    private TempDirectory _folder = null!;
    private string _spec = null!;
    private string _train = null!;
    private string _heldOut = null!;

    [OneTimeSetUp]
    public void WriteModelSpecAndTexts()
    {
        _folder = new TempDirectory("cli-text");
        var model = TestBertModel.Save(TestBertConfig.Tiny, _folder.File("test-bert.onnx"));
        _spec = _folder.File("test-bert.backbone.json");
        BackboneSpecFile.Save(new BackboneSpec
        {
            Name = "test-bert",
            Kind = BackboneKind.Text,
            ModelPath = "test-bert.onnx",
            ModelSha256 = FileHash.Sha256(model),
            Text = new TextInputSpec { Tokenizer = SharedData.BertBaseUncasedTokenizer, MaxLength = 128, Pooling = TextPooling.Mean },
            Features = new FeatureSpec(FeatureSpec.Auto, FeaturePooling.None, L2Normalize: true),
        }, _spec);
        var lines = File.ReadAllLines(SharedData.Sst2Train);
        _train = _folder.File("train.txt");
        File.WriteAllLines(_train, lines[..TrainLines]);
        _heldOut = _folder.File("held-out.txt");
        File.WriteAllLines(_heldOut, lines[^HeldOutLines..]);
    }

    [OneTimeTearDown]
    public void Delete() => _folder.Dispose();

    private static (int ExitCode, string Stdout, string Stderr) Cli(params string[] arguments)
    {
        var result = ExtractCliRunner.Run(arguments);
        TestContext.Out.WriteLine($"$ onnxtransfer {string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a))} → {result.ExitCode}");
        return result;
    }

    [Test]
    public void ExtractTrainComposeScoreAndPredictSst2Sentences()
    {
        var cache = _folder.File("cache");
        var extract = Cli("extract", "--backbone", _spec, "--texts", _train, "--label-prefix", "--cache", cache, "--batch", "32", "--json", "--quiet");
        Assert.That(extract.ExitCode, Is.Zero, extract.Stderr);
        using (var json = JsonDocument.Parse(extract.Stdout))
        {
            var root = json.RootElement;
            Assert.That((root.GetProperty("embedded").GetInt32(), root.GetProperty("failed").GetInt32(), root.GetProperty("dim").GetInt32()),
                Is.EqualTo((TrainLines, 0, TestBertConfig.Tiny.HiddenSize)));
            TestContext.Out.WriteLine($"extract: {root.GetProperty("texts_per_second").GetDouble():F0} texts/s, {root.GetProperty("truncated").GetInt32()} truncated");
        }
        var again = Cli("extract", "--backbone", _spec, "--texts", _train, "--label-prefix", "--cache", cache, "--quiet");
        Assert.That(again.ExitCode, Is.Zero, again.Stderr);
        Assert.That(again.Stdout, Does.Contain($"0 embedded, 0 failed, {TrainLines} already cached"), "a rerun continues: nothing left to do");

        var head = _folder.File("head.onnx");
        var train = Cli("train", "--cache", cache, "--out", head, "--l2", "auto", "--json");
        Assert.That(train.ExitCode, Is.Zero, train.Stderr);

        var fused = _folder.File("fused.onnx");
        var compose = Cli("compose", "--backbone", _spec, "--head", head, "--out", fused);
        Assert.That(compose.ExitCode, Is.Zero, compose.Stderr);
        Assert.That(compose.Stdout, Does.Contain("input_ids, attention_mask, token_type_ids").And.Contain("mean pooling, L2"));
        var views = Cli("compose", "--backbone", _spec, "--head", head, "--out", _folder.File("views.onnx"), "--tta", "hflip");
        Assert.That(views.ExitCode, Is.EqualTo(1), "test-time views transform images: a usage error for a text backbone");
        Assert.That(views.Stderr, Does.Contain("text backbone").And.Contain("drop --tta"));

        var scores = _folder.File("scores");
        var score = Cli("score", "--model", fused, "--input", _heldOut, "--label-prefix", "--out", scores, "--rows-per-part", "150", "--batch", "16");
        Assert.That(score.ExitCode, Is.Zero, score.Stderr);
        Assert.That(File.Exists(Path.Combine(scores, "_SUCCESS")), Is.True);
        var fusedRows = ReadScores(scores);
        Assert.That(fusedRows, Has.Count.EqualTo(HeldOutLines));
        Assert.That(fusedRows.Values.All(r => r.Error is null && r.Label is "0" or "1"), Is.True);
        var accuracy = fusedRows.Values.Count(r => r.Label == r.TrueLabel) / (double)HeldOutLines;
        TestContext.Out.WriteLine($"held-out accuracy of the head on the random-weight encoder: {accuracy:P1} (a working flow, not an accuracy claim)");
        Assert.That(fusedRows.Values.Select(r => r.TrueLabel).Distinct().Order(), Is.EqualTo(new[] { "0", "1" }), "true labels come from the label prefix");

        var chainedScores = _folder.File("scores-chained");
        var chained = Cli("score", "--backbone", _spec, "--head", head, "--input", _heldOut, "--label-prefix", "--out", chainedScores, "--rows-per-part", "150", "--batch", "16");
        Assert.That(chained.ExitCode, Is.Zero, chained.Stderr);
        var chainedRows = ReadScores(chainedScores);
        var worst = fusedRows.Max(r => Math.Abs(r.Value.Probability - chainedRows[r.Key].Probability));
        TestContext.Out.WriteLine($"max |Δp| fused vs chained over {HeldOutLines} held-out sentences: {worst:E2}");
        Assert.That(worst, Is.LessThan(1e-4));
        Assert.That(fusedRows.All(r => r.Value.Label == chainedRows[r.Key].Label), Is.True);

        var predict = Cli("predict", "--model", fused, "--json", "a gripping , funny and moving film", "a dull , lifeless mess");
        Assert.That(predict.ExitCode, Is.Zero, predict.Stderr);
        var predictions = predict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.That(predictions.Select(p => p.GetProperty("input").GetString()), Is.EqualTo(new[] { "a gripping , funny and moving film", "a dull , lifeless mess" }));
        Assert.That(predictions.All(p => p.GetProperty("label").GetString() is "0" or "1"), Is.True);

        // --precision fp16 (here on CPU; fast on CUDA): the fused model converted to float16 in memory scores like fp32,
        // and a cache extracted at fp16 says so and refuses fp32 parts.
        var halfScores = _folder.File("scores-fp16");
        var half = Cli("score", "--model", fused, "--input", _heldOut, "--label-prefix", "--out", halfScores, "--batch", "16", "--precision", "fp16");
        Assert.That(half.ExitCode, Is.Zero, half.Stderr);
        var halfRows = ReadScores(halfScores);
        var halfWorst = fusedRows.Max(r => Math.Abs(r.Value.Probability - halfRows[r.Key].Probability));
        var flipped = fusedRows.Count(r => r.Value.Label != halfRows[r.Key].Label);
        TestContext.Out.WriteLine($"max |Δp| fp16 vs fp32 over {HeldOutLines} held-out sentences: {halfWorst:E2}, {flipped} labels differ");
        Assert.That(halfWorst, Is.GreaterThan(0).And.LessThan(0.01));
        Assert.That(flipped, Is.LessThanOrEqualTo(HeldOutLines / 50));
        var halfCache = _folder.File("cache-fp16");
        var halfExtract = Cli("extract", "--backbone", _spec, "--texts", _heldOut, "--label-prefix", "--cache", halfCache, "--precision", "fp16", "--quiet");
        Assert.That(halfExtract.ExitCode, Is.Zero, halfExtract.Stderr);
        var info = Cli("cache", "info", halfCache, "--json");
        using (var json = JsonDocument.Parse(info.Stdout))
            Assert.That(json.RootElement.GetProperty("numerics")[0].GetProperty("precision").GetString(), Is.EqualTo("fp16"));
        var mixed = Cli("extract", "--backbone", _spec, "--texts", _train, "--label-prefix", "--cache", halfCache, "--quiet");
        Assert.That(mixed.ExitCode, Is.EqualTo(2), "an fp32 run does not extend an fp16 cache");
        Assert.That(mixed.Stderr, Does.Contain("fp16"));
        var tf32 = Cli("score", "--model", fused, "--input", _heldOut, "--label-prefix", "--out", _folder.File("scores-tf32"), "--precision", "tf32");
        Assert.That(tf32.ExitCode, Is.EqualTo(1), tf32.Stderr);
        Assert.That(tf32.Stderr, Does.Contain("tf32 needs a GPU"));
    }

    [Test]
    public void TextsAndImagesAreNotMixedUp()
    {
        var cache = _folder.File("refusals");
        var images = Cli("extract", "--backbone", _spec, "--images", SharedData.Hymenoptera, "--cache", cache);
        Assert.That(images.ExitCode, Is.Not.Zero);
        Assert.That(images.Stderr, Does.Contain("text backbone").And.Contain("--texts"));
        var both = Cli("extract", "--backbone", _spec, "--images", SharedData.Hymenoptera, "--texts", _train, "--cache", cache);
        Assert.That(both.ExitCode, Is.Not.Zero);
        Assert.That(both.Stderr, Does.Contain("not both"));
        var texts = Cli("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--texts", _train, "--cache", cache);
        Assert.That(texts.Stderr, Does.Contain("image backbone").And.Contain("--images"));
        var prefix = Cli("extract", "--backbone", ExtractCliRunner.MobileNetV2Spec, "--images", SharedData.Hymenoptera, "--label-prefix", "--cache", cache);
        Assert.That(prefix.Stderr, Does.Contain("--label-prefix"));
        Assert.That(Directory.Exists(cache) && EmbeddingCache.Exists(cache), Is.False, "a refused run writes nothing");
        var help = Cli("extract", "--help");
        Assert.That(help.Stdout, Does.Contain("--texts").And.Contain("--label-prefix").And.Contain("--refuse-long-texts"));
    }

    [Test]
    public void KilledTextExtractionsRerunToTheRowsOfOneRun()
    {
        var lines = _folder.File("kill.txt");
        File.WriteAllLines(lines, File.ReadLines(SharedData.Sst2Train).Take(3000));
        string[] Arguments(string cache) =>
            ["extract", "--backbone", _spec, "--texts", lines, "--label-prefix", "--cache", cache, "--rows-per-part", "64", "--batch", "8",
             "--decode-threads", "1", "--threads", "1", "--quiet"];
        var straight = _folder.File("kill-straight");
        Assert.That(Cli(Arguments(straight)).ExitCode, Is.Zero);

        var killed = _folder.File("kill-killed");
        var killedMidRun = 0;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var before = Parts(killed);
            using var process = ExtractCliRunner.Start(Arguments(killed));
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && Parts(killed) == before && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(10);
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
                killedMidRun++;
            }
        }
        TestContext.Out.WriteLine($"{killedMidRun} of 3 runs killed mid-run, {Parts(killed)} parts committed before the rerun");
        Assert.That(killedMidRun, Is.GreaterThanOrEqualTo(1), "a kill must land mid-run");
        Assert.That(Cli(Arguments(killed)).ExitCode, Is.Zero);

        var expected = Read(straight);
        var actual = Read(killed);
        Assert.That(actual.Count, Is.EqualTo(3000));
        Assert.That(actual.Ids, Is.Unique);
        var index = expected.IndexById();
        for (var i = 0; i < actual.Count; i++)
            Assert.That(System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual.Row(i))
                .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected.Row(index[actual.Ids[i]]))), Is.True, $"embedding of line {actual.Ids[i]}");
    }

    private static int Parts(string cache) => Directory.Exists(cache) ? Directory.GetFiles(cache, "part-*.parquet").Length : 0;

    private static CachedEmbeddings Read(string cache)
    {
        using var opened = EmbeddingCache.Open(cache);
        return opened.ReadEmbeddings();
    }

    private sealed record ScoreRow(string? Label, float Probability, string? TrueLabel, string? Error);

    private static Dictionary<string, ScoreRow> ReadScores(string folder)
    {
        var rows = new Dictionary<string, ScoreRow>(StringComparer.Ordinal);
        foreach (var group in ParquetDataset.Open(folder).RowGroups())
        {
            var ids = group.ReadStrings("id");
            var labels = group.ReadStrings("label");
            var truth = group.ReadStrings("true_label");
            var errors = group.ReadStrings("error");
            var probabilities = group.ReadColumn("probability");
            for (var i = 0; i < ids.Length; i++)
                rows.Add(ids[i]!, new ScoreRow(labels[i], probabilities.IsValueNull(i) ? float.NaN : Convert.ToSingle(probabilities.Values.GetValue(i)), truth[i], errors[i]));
        }
        return rows;
    }
}
